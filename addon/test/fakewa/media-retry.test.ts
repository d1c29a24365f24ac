import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';

import {
  decodeMediaRetryNode,
  decryptMediaRetryData,
  downloadContentFromMessage,
  encryptMediaRetryRequest,
  getStatusCodeForMediaRetry,
  proto,
  type BinaryNode,
} from 'baileys';

import { MediaHost, type UploadedMedia } from '../../src/fakewa/media-host.js';
import { MediaRetryDesk } from '../../src/fakewa/media-retry.js';
import { createMediaDispatcher } from '../../src/fakewa/media-transport.js';
import { exchange, silentLogger } from './media-harness.js';

const ACCOUNT = '15550000001:1@s.whatsapp.net';
const CONTACT = '15550000002@s.whatsapp.net';

/** Baileys' own re-upload request for a received media message, as updateMediaMessage sends it. */
function retryRequest(id: string, mediaKey: Uint8Array): BinaryNode {
  return encryptMediaRetryRequest({ id, remoteJid: CONTACT, fromMe: false }, mediaKey, ACCOUNT);
}

async function streamToBuffer(stream: AsyncIterable<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
}

describe('media re-upload requests', () => {
  let host: MediaHost;
  let desk: MediaRetryDesk;
  before(async () => {
    host = await MediaHost.start({ logger: silentLogger });
    desk = new MediaRetryDesk(host, silentLogger);
  });
  after(async () => {
    await host.close();
  });

  async function sentByContact(id: string, original: Buffer): Promise<UploadedMedia> {
    const uploaded = await host.uploadMedia(original, 'image');
    desk.remember(id, { mediaKey: uploaded.mediaKey, fileEncSha256: uploaded.fileEncSha256, mediaType: 'image' });
    await host.expire(uploaded.directPath);
    return uploaded;
  }

  it('the sender’s phone uploads an expired file again and Baileys reads the new path and downloads it', async () => {
    desk.answer = 'reupload';
    const original = randomBytes(3000);
    const uploaded = await sentByContact('RETRY1', original);

    const { handled, replies } = await exchange([desk.handler], retryRequest('RETRY1', uploaded.mediaKey));
    assert.equal(handled, true);
    assert.equal(replies.length, 1);
    const [notification] = replies;
    assert.ok(notification);
    assert.equal(notification.attrs.type, 'mediaretry');
    const event = decodeMediaRetryNode(notification);
    assert.equal(event.key.id, 'RETRY1');
    assert.equal(event.key.remoteJid, CONTACT);
    assert.equal(event.error, undefined);
    assert.ok(event.media);
    const retried = decryptMediaRetryData(event.media, uploaded.mediaKey, 'RETRY1');
    assert.equal(retried.result, proto.MediaRetryNotification.ResultType.SUCCESS);
    assert.ok(retried.directPath && retried.directPath !== uploaded.directPath);

    const dispatcher = createMediaDispatcher(host);
    try {
      const data = await streamToBuffer(
        await downloadContentFromMessage({ directPath: retried.directPath, mediaKey: uploaded.mediaKey }, 'image', { options: { dispatcher } }),
      );
      assert.deepEqual(data, original);
    } finally {
      await dispatcher.close();
    }
  });

  it('a phone that no longer has the file answers not-found, which Baileys reports as 404', async () => {
    desk.answer = 'not-found';
    const uploaded = await sentByContact('RETRY2', randomBytes(100));
    const { replies } = await exchange([desk.handler], retryRequest('RETRY2', uploaded.mediaKey));
    const event = decodeMediaRetryNode(replies[0] as BinaryNode);
    assert.ok(event.media);
    const retried = decryptMediaRetryData(event.media, uploaded.mediaKey, 'RETRY2');
    assert.equal(retried.result, proto.MediaRetryNotification.ResultType.NOT_FOUND);
    assert.equal(getStatusCodeForMediaRetry(retried.result), 404);
  });

  it('a message the phone never sent is answered with an error node', async () => {
    desk.answer = 'reupload';
    const { replies } = await exchange([desk.handler], retryRequest('UNKNOWN', randomBytes(32)));
    const event = decodeMediaRetryNode(replies[0] as BinaryNode);
    assert.equal(event.error?.output.statusCode, 404);
  });

  it('an offline phone never answers, so the request stays open (the hang the engine must bound)', async () => {
    desk.answer = 'never';
    const uploaded = await sentByContact('RETRY3', randomBytes(100));
    const before = desk.requestCount;
    const { handled, replies } = await exchange([desk.handler], retryRequest('RETRY3', uploaded.mediaKey));
    assert.equal(handled, true, 'the request is taken (and acknowledged by the router)');
    assert.equal(replies.length, 0);
    assert.equal(desk.requestCount, before + 1);
  });

  it('leaves other receipts to the other handlers', async () => {
    const read: BinaryNode = { tag: 'receipt', attrs: { id: 'X', to: CONTACT, type: 'read' } };
    const { handled } = await exchange([desk.handler], read);
    assert.equal(handled, false);
  });
});
