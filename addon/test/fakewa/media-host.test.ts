import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import {
  downloadContentFromMessage,
  downloadMediaMessage,
  prepareWAMessageMedia,
  proto,
  type AnyMediaMessageContent,
  type MediaType,
  type WAMessage,
} from 'baileys';

import { MediaHost, MediaNotFoundError, type UploadedMedia } from '../../src/fakewa/media-host.js';
import { MediaIntegrityError } from '../../src/fakewa/media-crypto.js';
import { createMediaDispatcher } from '../../src/fakewa/media-transport.js';
import { baileysUpload, silentLogger, watchNetworkInEachTest } from './media-harness.js';

/** A received message as Baileys hands it to the engine. */
function incoming(message: proto.IMessage, id = 'MEDIA1'): WAMessage {
  return { key: { remoteJid: '15550000002@s.whatsapp.net', fromMe: false, id }, message };
}

function imageMessageFrom(uploaded: UploadedMedia): proto.IMessage {
  return {
    imageMessage: {
      url: uploaded.url,
      directPath: uploaded.directPath,
      mediaKey: uploaded.mediaKey,
      fileSha256: uploaded.fileSha256,
      fileEncSha256: uploaded.fileEncSha256,
      fileLength: uploaded.fileLength,
      mediaKeyTimestamp: uploaded.mediaKeyTimestamp,
      mimetype: 'image/jpeg',
    },
  };
}

async function streamToBuffer(stream: AsyncIterable<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** Baileys' HTTP failures carry their status in Boom's `output`. */
function httpStatusOf(error: unknown): number | undefined {
  return (error as { output?: { statusCode?: number } }).output?.statusCode;
}

describe('fake media host with the real Baileys media code', () => {
  let host: MediaHost;

  before(async () => {
    host = await MediaHost.start({ logger: silentLogger });
  });
  after(async () => {
    await host.close();
  });
  watchNetworkInEachTest();

  const sends: Array<{ mediaType: MediaType; content: (bytes: Buffer) => AnyMediaMessageContent }> = [
    { mediaType: 'image', content: (image) => ({ image, mimetype: 'image/jpeg', caption: 'a photo' }) },
    { mediaType: 'audio', content: (audio) => ({ audio, mimetype: 'audio/ogg; codecs=opus', ptt: false, seconds: 3 }) },
    { mediaType: 'document', content: (document) => ({ document, mimetype: 'application/pdf', fileName: 'report.pdf' }) },
    { mediaType: 'video', content: (video) => ({ video, mimetype: 'video/mp4', seconds: 2, jpegThumbnail: '' }) },
  ];
  for (const { mediaType, content } of sends) {
    it(`a ${mediaType} the account sends is uploaded by Baileys and the contact decrypts the same bytes`, async () => {
      const original = randomBytes(50_000 + 7);
      const { upload, mediaConnQueries } = baileysUpload(host);
      const message = await prepareWAMessageMedia(content(original), { upload, logger: silentLogger });
      const media = message[`${mediaType}Message` as 'imageMessage'];
      assert.ok(media, `Baileys built a ${mediaType} message`);
      assert.ok(media.directPath?.startsWith('/v/t62.'), 'the message names a WhatsApp-style direct path');
      assert.ok(media.url?.startsWith('https://mmg.whatsapp.net/v/'));
      assert.equal(mediaConnQueries(), 1, 'Baileys asked media_conn where to upload');

      const decrypted = await host.downloadMedia({
        directPath: media.directPath,
        mediaKey: media.mediaKey as Uint8Array,
        mediaType,
        fileEncSha256: media.fileEncSha256 ?? null,
        fileSha256: media.fileSha256 ?? null,
      });
      assert.deepEqual(decrypted, original);
    });
  }

  it('a contact finds what the account uploaded by its url too, and a wrong key fails the MAC check', async () => {
    const original = randomBytes(4096);
    const { upload } = baileysUpload(host);
    const { imageMessage } = await prepareWAMessageMedia({ image: original }, { upload, logger: silentLogger });
    assert.ok(imageMessage?.url);
    assert.deepEqual(await host.downloadMedia({ url: imageMessage.url, mediaKey: imageMessage.mediaKey as Uint8Array, mediaType: 'image' }), original);
    await assert.rejects(
      host.downloadMedia({ directPath: imageMessage.directPath ?? null, mediaKey: randomBytes(32), mediaType: 'image' }),
      MediaIntegrityError,
    );
  });

  it('an image a contact uploads is downloaded and decrypted by Baileys through the media dispatcher', async () => {
    const original = randomBytes(123_457);
    const uploaded = await host.uploadMedia(original, 'image');
    const dispatcher = createMediaDispatcher(host);
    try {
      const data = await downloadMediaMessage(incoming(imageMessageFrom(uploaded)), 'buffer', { options: { dispatcher } });
      assert.deepEqual(data, original);

      // Baileys asks for a byte range when it wants part of a file (the previous block is the IV).
      const part = await streamToBuffer(
        await downloadContentFromMessage(imageMessageFrom(uploaded).imageMessage as proto.Message.IImageMessage, 'image', {
          startByte: 1000,
          endByte: 5000,
          options: { dispatcher },
        }),
      );
      assert.deepEqual(part, original.subarray(1000, 5000));
    } finally {
      await dispatcher.close();
    }
  });

  it('an expired or unknown direct path answers 404, and a re-upload gives a path that works again', async () => {
    const original = randomBytes(2048);
    const uploaded = await host.uploadMedia(original, 'image');
    assert.equal(await host.expire(uploaded.directPath), true);
    const dispatcher = createMediaDispatcher(host);
    try {
      const unknown = await fetch('https://mmg.whatsapp.net/v/t62.7118-24/1_2_3_n.enc?ccb=11-4', { dispatcher });
      assert.equal(unknown.status, 404);

      let reuploadAsked = false;
      const error: unknown = await downloadMediaMessage(
        incoming(imageMessageFrom(uploaded)),
        'buffer',
        { options: { dispatcher } },
        {
          logger: silentLogger,
          reuploadRequest: async (message) => {
            reuploadAsked = true;
            return message;
          },
        },
      ).then(
        () => assert.fail('an expired file cannot be downloaded'),
        (caught: unknown) => caught,
      );
      assert.equal(httpStatusOf(error), 404, 'the engine sees the 404 and can ask the phone for a re-upload');
      // Baileys rc14 checks `error.status`, but its HTTP errors carry `output.statusCode`: its own
      // re-upload branch never runs, so the engine has to ask for the re-upload itself.
      assert.equal(reuploadAsked, false);
      await assert.rejects(host.downloadMedia({ ...uploaded, mediaType: 'image' }), MediaNotFoundError);

      const again = await host.reupload(uploaded.fileEncSha256, 'image');
      assert.ok(again);
      assert.notEqual(again.directPath, uploaded.directPath);
      const refreshed = { ...uploaded, ...again };
      assert.deepEqual(await downloadMediaMessage(incoming(imageMessageFrom(refreshed)), 'buffer', { options: { dispatcher } }), original);
    } finally {
      await dispatcher.close();
    }
  });

  it('a direct path expires by itself after the media lifetime', async () => {
    const shortLived = await MediaHost.start({ mediaTtlMs: 50 });
    const dispatcher = createMediaDispatcher(shortLived);
    try {
      const uploaded = await shortLived.uploadMedia(randomBytes(100), 'document');
      const path = `https://mmg.whatsapp.net${uploaded.directPath}`;
      assert.equal((await fetch(path, { dispatcher })).status, 200);
      await new Promise((resolve) => setTimeout(resolve, 80));
      assert.equal((await fetch(path, { dispatcher })).status, 404);
    } finally {
      await dispatcher.close();
      await shortLived.close();
    }
  });

  it('uploads with a wrong token or a body that does not match its hash are refused', async () => {
    const dispatcher = createMediaDispatcher(host);
    const body = randomBytes(64);
    const token = (await import('node:crypto')).createHash('sha256').update(body).digest('base64url');
    const post = (auth: string, payload: Buffer) =>
      fetch(`https://mmg.whatsapp.net/mms/image/${token}?auth=${encodeURIComponent(auth)}&token=${token}`, {
        method: 'POST',
        body: payload,
        dispatcher,
      });
    try {
      assert.equal((await post('not-the-token', body)).status, 401);
      const { auth } = host.describeConnection();
      assert.equal((await post(auth, randomBytes(64))).status, 400);
      const accepted = await post(auth, body);
      assert.equal(accepted.status, 200);
      const answer = (await accepted.json()) as { url?: string; direct_path?: string };
      assert.ok(answer.direct_path?.startsWith('/v/t62.7118-24/'));
      assert.ok(answer.url?.startsWith('https://mmg.whatsapp.net/'));
    } finally {
      await dispatcher.close();
    }
  });
});

describe('fake media host across a restart', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fakewa-media-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('what was uploaded before a restart downloads afterwards from the same direct path', async () => {
    const original = randomBytes(10_000);
    const first = await MediaHost.start({ dir, maxMemoryBytes: 1 });
    const uploaded = await first.uploadMedia(original, 'image');
    await first.close();

    const second = await MediaHost.start({ dir });
    const dispatcher = createMediaDispatcher(second);
    try {
      assert.deepEqual(await downloadMediaMessage(incoming(imageMessageFrom(uploaded)), 'buffer', { options: { dispatcher } }), original);
    } finally {
      await dispatcher.close();
      await second.close();
    }
  });
});
