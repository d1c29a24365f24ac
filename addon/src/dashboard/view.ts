/**
 * What the dashboard shows: every account the add-on serves, each with its connection, the QR code
 * to scan (rendered here, so the browser needs no QR library) and a one-line summary of its latest
 * events. Whoever scans a QR code (or types a pairing code) links their phone to that account, so
 * only people who may manage the accounts see them.
 */
import QRCode from 'qrcode';
import { DEFAULT_ACCOUNT_ID, type AccountDirectory, type AccountServices } from '../accounts/directory.js';
import type { ConnectionState, JournalEvent } from '../journal/types.js';
import type { Viewer } from './access.js';
import { reasonInWords, STATE_LABELS, summarise } from './event-summaries.js';

export { reasonInWords, STATE_LABELS, summarise } from './event-summaries.js';

export const RECENT_EVENTS = 20;

export interface DashboardEvent {
  seq: number;
  type: JournalEvent['type'];
  at: string;
  summary: string;
}

/** One account's card on the page. */
export interface AccountPanel {
  id: string;
  state: ConnectionState;
  state_label: string;
  since: string;
  /** The linked WhatsApp number, once linked. */
  linked: { phone: string; name: string | null } | null;
  last_disconnect: { reason: string; explanation: string; at: string } | null;
  /** While pairing: the QR code as an SVG document, and when WhatsApp replaces it. */
  qr: { svg: string; expires_at: string } | null;
  pairing_code: string | null;
  events: DashboardEvent[];
  /** `default` always exists; every other account may be deleted by whoever manages the accounts. */
  can_remove: boolean;
}

export interface DashboardView {
  version: string;
  accounts: AccountPanel[];
  max_accounts: number;
  /** Whether this viewer may link, reconnect, log out, add and delete; the server checks again on every action. */
  can_manage: boolean;
  viewer: { name: string | null; via: Viewer['via']; signed_in: boolean };
}

export class DashboardViews {
  /** Per account: the last QR code drawn, so a push that did not rotate it costs nothing. */
  private readonly qrCache = new Map<string, { code: string; svg: string }>();

  constructor(
    private readonly accounts: AccountDirectory,
    private readonly version: string,
  ) {}

  async current(viewer: Viewer): Promise<DashboardView> {
    const canManage = viewer.role === 'admin';
    const panels: AccountPanel[] = [];
    for (const { id } of this.accounts.list()) {
      const services = this.accounts.get(id);
      // Deleted between the listing and now: the next push leaves it out anyway.
      if (!services) continue;
      try {
        panels.push(await this.panel(services, canManage));
      } catch (err) {
        // Its journal went away with it while being read: leave the account out, as if listed a moment later.
        if (this.accounts.get(id) === services) throw err;
      }
    }
    this.forgetQrCodesBut(new Set(panels.map((panel) => panel.id)));
    return {
      version: this.version,
      accounts: panels,
      max_accounts: this.accounts.maxAccounts,
      can_manage: canManage,
      viewer: { name: viewer.name, via: viewer.via, signed_in: viewer.signedIn },
    };
  }

  private async panel(account: AccountServices, canManage: boolean): Promise<AccountPanel> {
    const view = account.session.snapshot();
    const { journal } = account;
    const recent = (await journal.read(Math.max(0, journal.lastSeq - RECENT_EVENTS), RECENT_EVENTS)).events;
    return {
      id: account.id,
      state: view.state,
      state_label: STATE_LABELS[view.state],
      since: view.since,
      linked: view.me ? { phone: view.me.phone, name: view.me.name } : null,
      last_disconnect: view.last_disconnect
        ? { reason: reasonInWords(view.last_disconnect.reason), explanation: view.last_disconnect.message, at: view.last_disconnect.at }
        : null,
      qr: canManage && view.qr ? { svg: await this.qrSvg(account.id, view.qr.code), expires_at: view.qr.expires_at } : null,
      pairing_code: canManage ? view.pairing_code : null,
      events: recent.reverse().map((event) => ({ seq: event.seq, type: event.type, at: event.at, summary: summarise(event) })),
      can_remove: canManage && account.id !== DEFAULT_ACCOUNT_ID,
    };
  }

  private async qrSvg(accountId: string, code: string): Promise<string> {
    const cached = this.qrCache.get(accountId);
    if (cached?.code === code) return cached.svg;
    // Dark on light whatever the page's colour scheme: phones scan that most reliably.
    const svg = await QRCode.toString(code, { type: 'svg', margin: 2, errorCorrectionLevel: 'L', color: { dark: '#111b21', light: '#ffffff' } });
    this.qrCache.set(accountId, { code, svg });
    return svg;
  }

  private forgetQrCodesBut(present: ReadonlySet<string>): void {
    for (const id of this.qrCache.keys()) if (!present.has(id)) this.qrCache.delete(id);
  }
}
