/**
 * What the dashboard shows, in words a person understands: the connection, the QR code to scan
 * (rendered here, so the browser needs no QR library), and a one-line summary of the latest events.
 * Summaries name the kind of message and the chat, never its text. Whoever scans the QR code (or
 * types the pairing code) links their phone, so only people who may manage the session see them.
 */
import QRCode from 'qrcode';
import type { Journal } from '../journal/journal.js';
import type { ConnectionState, JournalEvent, MessageKind } from '../journal/types.js';
import type { Session, SessionView } from '../session/session.js';
import type { Viewer } from './access.js';

export const RECENT_EVENTS = 20;

export interface DashboardEvent {
  seq: number;
  type: JournalEvent['type'];
  at: string;
  summary: string;
}

export interface DashboardView {
  version: string;
  state: ConnectionState;
  state_label: string;
  since: string;
  account: { phone: string; name: string | null } | null;
  last_disconnect: { reason: string; explanation: string; at: string } | null;
  /** While pairing: the QR code as an SVG document, and when WhatsApp replaces it. */
  qr: { svg: string; expires_at: string } | null;
  pairing_code: string | null;
  events: DashboardEvent[];
  /** Whether this viewer may link, reconnect or log out; the server checks again on every action. */
  can_manage: boolean;
  viewer: { name: string | null; via: Viewer['via']; signed_in: boolean };
}

export const STATE_LABELS: Readonly<Record<ConnectionState, string>> = {
  starting: 'Connecting to WhatsApp…',
  pairing: 'Waiting to be linked',
  connected: 'Connected',
  reconnecting: 'Reconnecting…',
  logged_out: 'Logged out',
};

const KIND_LABELS: Readonly<Record<MessageKind, string>> = {
  text: 'text message',
  image: 'photo',
  video: 'video',
  audio: 'audio message',
  document: 'document',
  sticker: 'sticker',
  location: 'location',
  contact: 'contact card',
  poll: 'poll',
  reaction: 'reaction',
  poll_vote: 'poll vote',
  edit: 'edit',
  delete: 'deletion',
  other: 'message',
};

/** `connectionLost` → `connection lost`. */
export function reasonInWords(reason: string): string {
  return reason
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .replace(/\bqr\b/, 'QR');
}

export function summarise(event: JournalEvent): string {
  switch (event.type) {
    case 'message': {
      const { data } = event;
      const kind = KIND_LABELS[data.kind];
      const chat = data.chat_name ?? (data.chat_type === 'group' ? 'a group' : 'a chat');
      return data.from_me ? `Sent ${kind} to ${chat}` : `Received ${kind} ${data.chat_type === 'group' ? 'in' : 'from'} ${chat}`;
    }
    case 'message_status':
      return `Message ${event.data.status}`;
    case 'connection': {
      const { state, reason } = event.data;
      return `${STATE_LABELS[state].replace(/…$/, '')}${reason ? ` (${reasonInWords(reason)})` : ''}`;
    }
    case 'group': {
      const { action, participants, subject } = event.data;
      const group = subject ? `Group “${subject}”` : 'A group';
      const people = participants.length === 1 ? '1 member' : `${participants.length} members`;
      switch (action) {
        case 'add':
          return `${group}: ${people} added`;
        case 'remove':
          return `${group}: ${people} removed`;
        case 'promote':
          return `${group}: ${people} made admin`;
        case 'demote':
          return `${group}: ${people} no longer admin`;
        case 'subject':
          return `${group}: renamed`;
        default:
          return `${group}: settings changed`;
      }
    }
  }
}

export class DashboardViews {
  private qrCache: { code: string; svg: string } | null = null;

  constructor(
    private readonly session: Session,
    private readonly journal: Journal,
    private readonly version: string,
  ) {}

  async current(viewer: Viewer): Promise<DashboardView> {
    const view: SessionView = this.session.snapshot();
    const canManage = viewer.role === 'admin';
    const recent = this.journal.read(Math.max(0, this.journal.lastSeq - RECENT_EVENTS), RECENT_EVENTS).events;
    return {
      version: this.version,
      state: view.state,
      state_label: STATE_LABELS[view.state],
      since: view.since,
      account: view.me ? { phone: view.me.phone, name: view.me.name } : null,
      last_disconnect: view.last_disconnect
        ? { reason: reasonInWords(view.last_disconnect.reason), explanation: view.last_disconnect.message, at: view.last_disconnect.at }
        : null,
      qr: canManage && view.qr ? { svg: await this.qrSvg(view.qr.code), expires_at: view.qr.expires_at } : null,
      pairing_code: canManage ? view.pairing_code : null,
      events: recent.reverse().map((event) => ({ seq: event.seq, type: event.type, at: event.at, summary: summarise(event) })),
      can_manage: canManage,
      viewer: { name: viewer.name, via: viewer.via, signed_in: viewer.signedIn },
    };
  }

  private async qrSvg(code: string): Promise<string> {
    if (this.qrCache?.code !== code) {
      // Dark on light whatever the page's colour scheme: phones scan that most reliably.
      const svg = await QRCode.toString(code, { type: 'svg', margin: 2, errorCorrectionLevel: 'L', color: { dark: '#111b21', light: '#ffffff' } });
      this.qrCache = { code, svg };
    }
    return this.qrCache.svg;
  }
}
