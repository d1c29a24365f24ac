import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { request } from 'node:https';
import { after, before, describe, it } from 'node:test';

import { downloadContentFromMessage, getBinaryNodeChild, getBinaryNodeChildren } from 'baileys';

import { mediaConnHandler } from '../../src/fakewa/media-conn.js';
import { MediaHost } from '../../src/fakewa/media-host.js';
import { MediaBlobStore } from '../../src/fakewa/media-store.js';
import { createMediaDispatcher, createMediaUploadAgent, MediaHostRefusedError } from '../../src/fakewa/media-transport.js';
import { exchange, mediaConnQuery, silentLogger, watchNetworkInEachTest } from './media-harness.js';

describe('media transport: only WhatsApp media hosts, only over loopback', () => {
  let host: MediaHost;

  before(async () => {
    host = await MediaHost.start({ logger: silentLogger, hostnames: ['media-lo0-1.cdn.whatsapp.net'] });
  });
  after(async () => {
    await host.close();
  });
  watchNetworkInEachTest();

  it('the download dispatcher refuses any host that is not a WhatsApp media host, without connecting', async () => {
    const dispatcher = createMediaDispatcher(host);
    try {
      for (const url of ['https://example.com/', 'https://mmg.whatsapp.net.example.com/v/x', 'http://web.whatsapp.com/']) {
        const error: unknown = await fetch(url, { dispatcher }).then(
          () => assert.fail(`${url} must be refused`),
          (caught: unknown) => caught,
        );
        assert.ok((error as { cause?: unknown }).cause instanceof MediaHostRefusedError, `${url} is refused by name`);
      }
      // The same through Baileys: a message whose url names another host cannot be downloaded.
      await assert.rejects(
        downloadContentFromMessage({ url: 'https://cdn.example.org/file.enc', mediaKey: randomBytes(32) }, 'image', {
          options: { dispatcher },
        }),
        (error: unknown) => (error as { cause?: unknown }).cause instanceof MediaHostRefusedError,
      );
      // The announced primary host and the default download host both reach the media host.
      for (const name of ['media-lo0-1.cdn.whatsapp.net', 'mmg.whatsapp.net']) {
        assert.equal((await fetch(`https://${name}/v/t62.7118-24/none.enc`, { dispatcher })).status, 404);
      }
    } finally {
      await dispatcher.close();
    }
  });

  it('the upload agent refuses any other host and sends WhatsApp media hosts to the loopback host', async () => {
    const agent = createMediaUploadAgent(host);
    const post = (hostname: string) =>
      new Promise<number>((resolve, reject) => {
        const outgoing = request({ hostname, port: 443, path: '/mms/image/abc?auth=x&token=abc', method: 'POST', agent }, (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        });
        outgoing.on('error', reject);
        outgoing.end('body');
      });
    try {
      await assert.rejects(post('upload.example.com'), MediaHostRefusedError);
      assert.equal(await post('media-lo0-1.cdn.whatsapp.net'), 401, 'the media host answered: the token is wrong');
    } finally {
      agent.destroy();
    }
  });
});

describe('media_conn', () => {
  it('answers Baileys’ query with a token, lifetimes and the hosts to upload to', async () => {
    const host = await MediaHost.start({ hostnames: ['media-lo0-1.cdn.whatsapp.net', 'mmg.whatsapp.net'] });
    try {
      const { handled, replies } = await exchange([mediaConnHandler(host)], mediaConnQuery('q1'));
      assert.equal(handled, true);
      assert.equal(replies.length, 1);
      const [reply] = replies;
      assert.ok(reply);
      assert.deepEqual(reply.attrs, { from: 's.whatsapp.net', type: 'result', id: 'q1' });
      const conn = getBinaryNodeChild(reply, 'media_conn');
      assert.ok(conn?.attrs.auth && conn.attrs.auth.length >= 16, 'an upload token');
      assert.ok(Number(conn.attrs.ttl) > 0 && Number(conn.attrs.auth_ttl) >= Number(conn.attrs.ttl));
      assert.deepEqual(
        getBinaryNodeChildren(conn, 'host').map(({ attrs }) => attrs.hostname),
        ['media-lo0-1.cdn.whatsapp.net', 'mmg.whatsapp.net'],
      );
      // A second query within the token's life gets the same token, as WhatsApp's does.
      const second = await exchange([mediaConnHandler(host)], mediaConnQuery('q2'));
      assert.equal(getBinaryNodeChild(second.replies[0], 'media_conn')?.attrs.auth, conn.attrs.auth);
    } finally {
      await host.close();
    }
  });

  it('leaves every other stanza to the other handlers', async () => {
    const host = await MediaHost.start();
    try {
      const others = [
        { tag: 'iq', attrs: { id: 'a', type: 'get', xmlns: 'w:m', to: 's.whatsapp.net' }, content: [{ tag: 'media_conn', attrs: {} }] },
        { tag: 'iq', attrs: { id: 'b', type: 'set', xmlns: 'encrypt', to: 's.whatsapp.net' }, content: [{ tag: 'media_conn', attrs: {} }] },
        { tag: 'iq', attrs: { id: 'c', type: 'set', xmlns: 'w:m', to: 's.whatsapp.net' }, content: [{ tag: 'other', attrs: {} }] },
      ];
      for (const stanza of others) {
        const { handled, replies } = await exchange([mediaConnHandler(host)], stanza);
        assert.equal(handled, false, `iq ${stanza.attrs.id} is not a media_conn query`);
        assert.equal(replies.length, 0);
      }
    } finally {
      await host.close();
    }
  });
});

describe('media blob store', () => {
  it('keeps at most its memory budget of blobs, dropping the least recently used first', async () => {
    const store = new MediaBlobStore({ maxMemoryBytes: 2500 });
    const ids = [];
    for (let index = 0; index < 5; index += 1) ids.push(await store.putBlob(randomBytes(1000)));
    assert.ok(store.bytesInMemory <= 2500, `held ${store.bytesInMemory} bytes`);
    assert.equal(await store.getBlob(ids[0] as string), null, 'the oldest blob is gone');
    assert.ok(await store.getBlob(ids[4] as string), 'the newest blob is kept');
  });
});
