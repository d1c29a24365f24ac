/**
 * Logging a linked companion in: `<success>` (or `<failure reason="401">` for a device WhatsApp does
 * not know), and the answers to the iqs Baileys sends right after login: pre-key count and upload,
 * passive, digest, props, blocklist, privacy, app-state sync, dirty bits, keep-alive pings. Once the
 * companion has uploaded its keys, the login listeners run and the offline marker tells Baileys
 * that nothing else is queued, so it releases the events it buffered.
 */
import type { BinaryNode } from 'baileys';
import type { Logger } from 'pino';

import type { AccountRecord, AccountRegistry } from './accounts.js';
import type { CompanionConnection } from './connection.js';
import type { HandshakeResult } from './noise-server.js';
import { bytesOf, child, children, iqError, iqResult, isIq, readUIntBE, SERVER_JID, unixTime } from './stanzas.js';
import type { CompanionLink, UploadedBundle } from './types.js';

export type LoginListener = (link: CompanionLink, account: AccountRecord) => void | Promise<void>;

export class LoginService {
  private readonly listeners: LoginListener[] = [];
  /** Which account each logged-in connection belongs to. */
  private readonly loggedIn = new WeakMap<CompanionConnection, AccountRecord>();

  constructor(
    private readonly accounts: AccountRegistry,
    private readonly logger: Logger,
  ) {}

  onLogin(listener: LoginListener): void {
    this.listeners.push(listener);
  }

  accountOf(link: CompanionConnection): AccountRecord | undefined {
    return this.loggedIn.get(link);
  }

  /** Answers a login handshake: `<success>` for the device WhatsApp linked, `<failure reason="401">` otherwise. */
  admit(link: CompanionConnection, handshake: HandshakeResult): AccountRecord | null {
    const phone = String(handshake.payload.username ?? '');
    const device = Number(handshake.payload.device ?? 0);
    const account = this.accounts.get(phone);
    const known =
      account !== undefined && account.device === device && Buffer.from(account.noiseKey).equals(handshake.clientStaticKey);
    if (!account || !known) {
      this.logger.info({ device }, 'fake network: login of an unknown device refused');
      link.terminate({ tag: 'failure', attrs: { reason: '401', location: 'frc' } });
      return null;
    }
    link.deviceJid = `${account.phone}:${account.device}@${SERVER_JID}`;
    link.lidDeviceJid = `${account.lid}:${account.device}@lid`;
    this.loggedIn.set(link, account);
    if (handshake.payload.pushName) void this.accounts.setPushName(account.phone, handshake.payload.pushName);
    link.send({
      tag: 'success',
      attrs: {
        t: unixTime(),
        props: '1',
        abprops: '1',
        location: 'frc',
        lid: link.lidDeviceJid,
        creation: unixTime(),
      },
    });
    return account;
  }

  /** The router handler for everything a logged-in companion asks right after `<success>`. */
  readonly handle = async (node: BinaryNode, link: CompanionLink): Promise<boolean> => {
    const connection = link as CompanionConnection;
    const account = this.loggedIn.get(connection);
    if (isIq(node, 'w:p', 'get')) {
      link.send(iqResult(node));
      return true;
    }
    if (node.tag === 'ib' && child(node, 'unified_session')) return true;
    if (!account) return node.tag === 'presence';
    if (isIq(node, 'encrypt', 'get', 'count')) {
      const count = account.bundle?.preKeys.length ?? 0;
      link.send(iqResult(node, [{ tag: 'count', attrs: { value: count.toString() } }]));
      return true;
    }
    if (isIq(node, 'encrypt', 'set') && child(node, 'registration')) {
      const upload = parseUpload(node);
      if (!upload) {
        link.send(iqError(node, 400, 'bad-request'));
        return true;
      }
      await this.accounts.storeUpload(account.phone, upload);
      link.send(iqResult(node));
      return true;
    }
    if (isIq(node, 'encrypt', 'set', 'rotate')) {
      const signed = parseSignedPreKey(child(child(node, 'rotate'), 'skey'));
      if (signed && account.bundle) {
        account.bundle.signedPreKey = signed;
        await this.accounts.save();
      }
      link.send(iqResult(node));
      return true;
    }
    if (isIq(node, 'encrypt', 'get', 'digest')) {
      // Baileys only checks that a digest comes back; it re-uploads when none does.
      link.send(iqResult(node, [{ tag: 'digest', attrs: {} }]));
      return true;
    }
    if (isIq(node, 'passive', 'set')) {
      link.send(iqResult(node));
      // `passive active` is the last thing Baileys does after the pre-key upload: the bundle is stored.
      if (children(node)[0]?.tag === 'active') await this.completeLogin(connection, account);
      return true;
    }
    if (isIq(node, 'abt', 'get')) {
      link.send(iqResult(node, [{ tag: 'props', attrs: { protocol: '1', ab_key: '', hash: 'fake', refresh: '86400', refresh_id: '1' } }]));
      return true;
    }
    if (isIq(node, 'w', 'get', 'props')) {
      link.send(iqResult(node, [{ tag: 'props', attrs: { protocol: '2', hash: 'fake' } }]));
      return true;
    }
    if (isIq(node, 'blocklist', 'get')) {
      link.send(iqResult(node, [{ tag: 'list', attrs: {} }]));
      return true;
    }
    if (isIq(node, 'privacy', 'get')) {
      link.send(iqResult(node, [{ tag: 'privacy', attrs: {}, content: PRIVACY_DEFAULTS }]));
      return true;
    }
    if (isIq(node, 'w:sync:app:state', 'set')) {
      // No app state is kept: every collection the companion asks for is complete and empty.
      const collections = children(child(node, 'sync')).map((collection) => ({
        tag: 'collection',
        attrs: { name: collection.attrs.name ?? '', version: collection.attrs.version ?? '0', has_more_patches: 'false' },
      }));
      link.send(iqResult(node, [{ tag: 'sync', attrs: {}, content: collections }]));
      return true;
    }
    if (isIq(node, 'urn:xmpp:whatsapp:dirty', 'set') || isIq(node, 'w:stats') || isIq(node, 'md', 'set', 'remove-companion-device')) {
      if (isIq(node, 'md', 'set', 'remove-companion-device')) {
        await this.accounts.unlink(account.phone);
        this.logger.info('fake network: a companion logged itself out');
      }
      link.send(iqResult(node));
      return true;
    }
    if (node.tag === 'presence') {
      if (node.attrs.name) await this.accounts.setPushName(account.phone, node.attrs.name);
      // Not taken: the contacts record the account going online or offline.
      return false;
    }
    return false;
  };

  private async completeLogin(link: CompanionConnection, account: AccountRecord): Promise<void> {
    for (const listener of this.listeners) {
      try {
        await listener(link, account);
      } catch (error) {
        this.logger.warn({ err: error }, 'fake network: a login listener failed');
      }
    }
    link.send({ tag: 'ib', attrs: { from: SERVER_JID }, content: [{ tag: 'offline', attrs: { count: '0' } }] });
  }
}

const PRIVACY_DEFAULTS: BinaryNode[] = [
  ['last', 'all'],
  ['online', 'all'],
  ['profile', 'all'],
  ['status', 'all'],
  ['groupadd', 'all'],
  ['readreceipts', 'all'],
  ['calladd', 'all'],
].map(([name, value]) => ({ tag: 'category', attrs: { name: name!, value: value! } }));

function parseSignedPreKey(skey: BinaryNode | undefined): UploadedBundle['signedPreKey'] | undefined {
  const keyId = readUIntBE(bytesOf(skey, 'id'));
  const publicKey = bytesOf(skey, 'value');
  const signature = bytesOf(skey, 'signature');
  if (keyId === undefined || !publicKey || !signature) return undefined;
  return { keyId, publicKey, signature };
}

/** Reads Baileys' pre-key upload: registration, type, identity, list of keys, signed pre-key. */
function parseUpload(node: BinaryNode): UploadedBundle | undefined {
  const registrationId = readUIntBE(bytesOf(node, 'registration'));
  const identityKey = bytesOf(node, 'identity');
  const signedPreKey = parseSignedPreKey(child(node, 'skey'));
  if (registrationId === undefined || !identityKey || identityKey.length !== 32 || !signedPreKey) return undefined;
  const preKeys: UploadedBundle['preKeys'] = [];
  for (const key of children(child(node, 'list'))) {
    const keyId = readUIntBE(bytesOf(key, 'id'));
    const publicKey = bytesOf(key, 'value');
    if (keyId !== undefined && publicKey) preKeys.push({ keyId, publicKey });
  }
  return { registrationId, identityKey, signedPreKey, preKeys };
}
