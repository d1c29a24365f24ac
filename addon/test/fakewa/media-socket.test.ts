/**
 * Media through a whole Baileys socket logged in on the fake network: the socket's own media_conn
 * query, its upload with `fetchAgent`, and its re-upload request (`updateMediaMessage`).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import type { Agent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import makeWASocket, {
  Browsers,
  DisconnectReason,
  downloadMediaMessage,
  prepareWAMessageMedia,
  useMultiFileAuthState,
  type WAMessage,
  type WASocket,
} from 'baileys';
import type { Dispatcher } from 'undici';

import { startFakeMedia, type FakeMedia } from '../../src/fakewa/media.js';
import type { MediaHost } from '../../src/fakewa/media-host.js';
import type { MediaRetryDesk } from '../../src/fakewa/media-retry.js';
import { FakeWhatsAppNetwork } from '../../src/fakewa/network.js';
import { silentLogger, watchNetwork, type NetworkWatch } from './media-harness.js';

const PHONE = '15550000001';

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

describe('media through a Baileys socket on the fake network', () => {
  let dir: string;
  let network: FakeWhatsAppNetwork;
  let media: FakeMedia;
  let host: MediaHost;
  let desk: MediaRetryDesk;
  let socket: WASocket;
  let watch: NetworkWatch;
  let dispatcher: Dispatcher;
  let uploadAgent: Agent;

  /** Opens a socket with the media transport wired the way the engine must wire it. */
  async function openSocket(): Promise<{ socket: WASocket; closed: Promise<number | undefined>; opened: Promise<void> }> {
    const { state, saveCreds } = await useMultiFileAuthState(join(dir, 'auth'));
    const sock = makeWASocket({
      auth: state,
      logger: silentLogger,
      browser: Browsers.ubuntu('Chrome'),
      waWebSocketUrl: network.url,
      fetchAgent: uploadAgent,
      options: { dispatcher },
      markOnlineOnConnect: false,
    });
    sock.ev.on('creds.update', saveCreds);
    const opened = new Promise<void>((resolve) => {
      sock.ev.on('connection.update', (update) => {
        if (update.qr) void network.scan(update.qr, PHONE);
        if (update.connection === 'open') resolve();
      });
    });
    const closed = new Promise<number | undefined>((resolve) => {
      sock.ev.on('connection.update', (update) => {
        if (update.connection === 'close') {
          resolve((update.lastDisconnect?.error as { output?: { statusCode?: number } } | undefined)?.output?.statusCode);
        }
      });
    });
    return { socket: sock, closed, opened };
  }

  before(async () => {
    watch = watchNetwork();
    dir = await mkdtemp(join(tmpdir(), 'fakewa-media-socket-'));
    network = await FakeWhatsAppNetwork.start({ dataDir: join(dir, 'network'), logger: silentLogger });
    media = await startFakeMedia(network.router, { logger: silentLogger });
    ({ host, retries: desk } = media);
    ({ dispatcher, uploadAgent } = media.transport);

    // Pairing ends with "restart required"; the second socket logs in with the saved credentials.
    const pairing = await openSocket();
    assert.equal(await within(pairing.closed, 10_000, 'pairing'), DisconnectReason.restartRequired);
    const login = await openSocket();
    await within(login.opened, 10_000, 'login');
    socket = login.socket;
  });
  after(async () => {
    socket?.end(undefined);
    await network?.stop();
    await media?.close();
    await rm(dir, { recursive: true, force: true });
    watch.stop();
    assert.deepEqual(watch.violations, [], 'nothing may leave the loopback interface or look up a name');
  });

  it('the socket asks media_conn, uploads with its fetchAgent, and the contact decrypts the image', async () => {
    const original = randomBytes(40_000);
    const { imageMessage } = await prepareWAMessageMedia({ image: original, mimetype: 'image/jpeg' }, {
      upload: socket.waUploadToServer,
      logger: silentLogger,
    });
    assert.ok(imageMessage?.directPath);
    assert.equal(socket.getMediaHost(), host.hostnames[0], 'Baileys took the announced primary host');
    const decrypted = await host.downloadMedia({
      directPath: imageMessage.directPath,
      mediaKey: imageMessage.mediaKey as Uint8Array,
      mediaType: 'image',
      fileEncSha256: imageMessage.fileEncSha256 ?? null,
    });
    assert.deepEqual(decrypted, original);
  });

  it('an expired image from a contact is re-uploaded on the socket’s request and then downloads', async () => {
    const original = randomBytes(9000);
    const uploaded = await host.uploadMedia(original, 'image');
    desk.remember('EXPIRED1', { mediaKey: uploaded.mediaKey, fileEncSha256: uploaded.fileEncSha256, mediaType: 'image' });
    await host.expire(uploaded.directPath);
    desk.answer = 'reupload';
    const message: WAMessage = {
      key: { remoteJid: '15550000002@s.whatsapp.net', fromMe: false, id: 'EXPIRED1' },
      message: { imageMessage: { ...uploaded, mimetype: 'image/jpeg' } },
    };
    const options = { options: { dispatcher } };
    await assert.rejects(downloadMediaMessage(message, 'buffer', options), (error: unknown) => {
      return (error as { output?: { statusCode?: number } }).output?.statusCode === 404;
    });
    const refreshed = await within(socket.updateMediaMessage(message), 5000, 'the re-upload answer');
    assert.notEqual(refreshed.message?.imageMessage?.directPath, uploaded.directPath);
    assert.deepEqual(await downloadMediaMessage(refreshed, 'buffer', options), original);
  });
});
