import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { BufferJSON, proto, type WAMessage } from 'baileys';
import { pino } from 'pino';
import { openMessageStore } from '../../src/auth/message-store.js';
import { SnapshotLog } from '../../src/util/snapshot-log.js';

async function withTempDir<T>(run: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'wa-messages-test-'));
  try {
    return await run(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function textMessage(id: string, chat = '15550000002@s.whatsapp.net', text = `text of ${id}`): WAMessage {
  return {
    key: { remoteJid: chat, id, fromMe: false },
    message: { conversation: text },
    messageTimestamp: 1_700_000_000,
  };
}

/** A received image as Baileys delivers it: a protobuf object with bytes and 64-bit numbers. */
function imageMessage(): WAMessage {
  const message = proto.WebMessageInfo.fromObject({
    key: { remoteJid: '123456789012345@lid', id: '3EB0IMAGE', fromMe: false, participant: '' },
    messageTimestamp: 1_700_000_123,
    pushName: 'Alice',
    message: {
      imageMessage: {
        url: 'https://mmg.whatsapp.net/o1/v/t62/abc',
        mimetype: 'image/jpeg',
        caption: 'a caption',
        fileSha256: Buffer.alloc(32, 1),
        fileEncSha256: Buffer.alloc(32, 2),
        mediaKey: Buffer.alloc(32, 3),
        fileLength: 123_456_789_012,
        height: 800,
        width: 600,
        directPath: '/o1/v/t62/abc',
        mediaKeyTimestamp: 1_700_000_100,
        jpegThumbnail: Buffer.alloc(100, 4),
      },
    },
  }) as WAMessage;
  // Baileys' own key fields that the protobuf schema does not know.
  message.key.remoteJidAlt = '15550000003@s.whatsapp.net';
  message.key.addressingMode = 'lid';
  return message;
}

describe('message store', () => {
  it('finds messages by id, with or without the chat', async () => {
    await withTempDir(async (dir) => {
      const store = await openMessageStore(dir);
      store.put(textMessage('A1'));
      store.put(textMessage('A2', '120363000000000001@g.us'));
      assert.equal(store.get({ id: 'A1' })?.message?.conversation, 'text of A1');
      assert.equal(store.get({ id: 'A2', remoteJid: '120363000000000001@g.us' })?.key.id, 'A2');
      assert.equal(store.get({ id: 'A2', remoteJid: '15550000002@s.whatsapp.net' }), undefined);
      assert.equal(store.get({ id: 'nope' }), undefined);
      assert.equal(store.get({ id: null }), undefined);
      assert.deepEqual(store.getMessageContent({ id: 'A1', remoteJid: '15550000002@s.whatsapp.net' }), { conversation: 'text of A1' });
      assert.equal(store.getMessageContent({ id: 'missing' }), undefined);
      await store.flush();
    });
  });

  it('tells apart the same id in two chats, and replaces on a second put', async () => {
    await withTempDir(async (dir) => {
      const store = await openMessageStore(dir);
      store.put(textMessage('SAME', 'a@s.whatsapp.net', 'first'));
      store.put(textMessage('SAME', 'b@s.whatsapp.net', 'second'));
      store.put(textMessage('SAME', 'a@s.whatsapp.net', 'edited'));
      assert.equal(store.get({ id: 'SAME', remoteJid: 'a@s.whatsapp.net' })?.message?.conversation, 'edited');
      assert.equal(store.get({ id: 'SAME', remoteJid: 'b@s.whatsapp.net' })?.message?.conversation, 'second');
      assert.equal(store.get({ id: 'SAME' })?.message?.conversation, 'edited');
      await store.flush();
    });
  });

  it('answers WhatsApp retry requests whatever form the asking jid takes', async () => {
    await withTempDir(async (dir) => {
      const store = await openMessageStore(dir);
      // Sent to a phone number; the recipient's phone and companions ask by LID and by device.
      store.put({ key: { remoteJid: '4917612345678@s.whatsapp.net', id: '3EB0SENT', fromMe: true }, message: { conversation: 'hi' } });
      for (const remoteJid of [
        '4917612345678@s.whatsapp.net',
        '4917612345678:3@s.whatsapp.net',
        '123456789012345@lid',
        '123456789012345:3@lid',
      ]) {
        assert.deepEqual(store.getMessageContent({ remoteJid, id: '3EB0SENT', fromMe: true }), { conversation: 'hi' }, remoteJid);
      }
      // Received from a LID chat: asked by its phone number, or by the LID of a companion device.
      store.put(imageMessage());
      assert.ok(store.get({ remoteJid: '15550000003:2@s.whatsapp.net', id: '3EB0IMAGE' }));
      assert.ok(store.get({ remoteJid: '123456789012345:5@lid', id: '3EB0IMAGE' }));
      // A group's message is only the group's.
      store.put(textMessage('G1', '120363000000000001@g.us'));
      assert.equal(store.get({ remoteJid: '123456789012345@lid', id: 'G1' }), undefined);
      assert.equal(store.get({ remoteJid: '120363000000000002@g.us', id: 'G1' }), undefined);
      await store.flush();
    });
  });

  it('finds a poll sent to a phone number when its vote arrives LID-addressed', async () => {
    await withTempDir(async (dir) => {
      const store = await openMessageStore(dir);
      const secret = Buffer.alloc(32, 7);
      store.put({
        key: { remoteJid: '4917612345678@s.whatsapp.net', id: 'POLL1', fromMe: true },
        message: {
          pollCreationMessage: { name: 'Pizza?', options: [{ optionName: 'Yes' }], selectableOptionsCount: 1 },
          messageContextInfo: { messageSecret: secret },
        },
      });
      await store.flush();
      const reopened = await openMessageStore(dir);
      const poll = reopened.getMessageContent({ remoteJid: '123456789012345@lid', id: 'POLL1', fromMe: true });
      assert.equal(poll?.pollCreationMessage?.name, 'Pizza?');
      assert.ok(Buffer.from(poll!.messageContextInfo!.messageSecret!).equals(secret));
    });
  });

  it('keeps the id index bounded with the messages', async () => {
    await withTempDir(async (dir) => {
      const store = await openMessageStore(dir, { maxMessages: 3 });
      for (let i = 0; i < 10; i += 1) store.put(textMessage('SAME-ID', `${i}@s.whatsapp.net`, `#${i}`));
      assert.equal(store.get({ id: 'SAME-ID' })?.message?.conversation, '#9');
      assert.equal(store.get({ id: 'SAME-ID', remoteJid: '2@s.whatsapp.net' })?.message?.conversation, '#9', 'another person: the newest');
      assert.equal(store.get({ id: 'SAME-ID', remoteJid: '8@s.whatsapp.net' })?.message?.conversation, '#8');
      await store.flush();
    });
  });

  it('keeps only the newest maxMessages, across restarts', async () => {
    await withTempDir(async (dir) => {
      const store = await openMessageStore(dir, { maxMessages: 10 });
      for (let i = 0; i < 25; i += 1) store.put(textMessage(`M${i}`));
      store.put(textMessage('M15', undefined, 'refreshed'));
      assert.equal(store.get({ id: 'M14' }), undefined);
      assert.ok(store.get({ id: 'M15' }));
      await store.flush();

      const reopened = await openMessageStore(dir, { maxMessages: 10 });
      const kept = Array.from({ length: 25 }, (_, i) => `M${i}`).filter((id) => reopened.get({ id }));
      assert.deepEqual(kept, ['M15', 'M16', 'M17', 'M18', 'M19', 'M20', 'M21', 'M22', 'M23', 'M24']);
      assert.equal(reopened.get({ id: 'M15' })?.message?.conversation, 'refreshed');
      reopened.put(textMessage('M25'));
      assert.equal(reopened.get({ id: 'M16' }), undefined, 'M16 is the oldest: M15 was put again after M24');
      assert.ok(reopened.get({ id: 'M15' }));
      await reopened.flush();
    });
  });

  it('restores a protobuf message exactly, with its bytes, 64-bit numbers and key extras', async () => {
    await withTempDir(async (dir) => {
      const store = await openMessageStore(dir);
      const original = imageMessage();
      store.put(original);
      await store.flush();
      const loaded = (await openMessageStore(dir)).get({ id: '3EB0IMAGE', remoteJid: '15550000003@s.whatsapp.net' });
      assert.ok(loaded, 'found through the alternative jid');
      assert.deepStrictEqual(
        proto.WebMessageInfo.toObject(loaded as proto.WebMessageInfo, { longs: String }),
        proto.WebMessageInfo.toObject(original as proto.WebMessageInfo, { longs: String }),
      );
      assert.equal(loaded.key.remoteJidAlt, '15550000003@s.whatsapp.net');
      assert.equal(loaded.key.addressingMode, 'lid');
      const image = loaded.message?.imageMessage;
      assert.ok(Buffer.from(image!.mediaKey!).equals(Buffer.alloc(32, 3)));
      assert.equal(String(image!.fileLength), '123456789012');
    });
  });

  it('bounds its files: older files are deleted once none of their messages is kept', async () => {
    await withTempDir(async (dir) => {
      const store = await openMessageStore(dir, { maxMessages: 50 });
      for (let i = 0; i < 1_000; i += 1) store.put(textMessage(`C${i}`, undefined, 'x'.repeat(500)));
      await store.flush();
      const files = await readdir(dir);
      let total = 0;
      for (const file of files) total += (await stat(join(dir, file))).size;
      // 50 messages of ~600 bytes, and at most two files' worth more before older files are dropped.
      assert.ok(total < 100 * 1_024, `${total} bytes in ${files.join(',')}`);
      const reopened = await openMessageStore(dir, { maxMessages: 50 });
      assert.ok(reopened.get({ id: 'C999' }));
      assert.ok(reopened.get({ id: 'C950' }));
      assert.equal(reopened.get({ id: 'C949' }), undefined);
    });
  });

  it('skips a damaged record instead of failing, and keeps the others', async () => {
    await withTempDir(async (dir) => {
      const store = await openMessageStore(dir, { maxMessages: 5 });
      for (let i = 0; i < 3; i += 1) store.put(textMessage(`D${i}`));
      await store.flush();
      const [file] = (await readdir(dir)).filter((name) => name.endsWith('.log'));
      const text = await readFile(join(dir, file!), 'utf8');
      await writeFile(join(dir, file!), text.replace('text of D1', 'text of X1'));
      const reopened = await openMessageStore(dir, { maxMessages: 5 });
      assert.equal(reopened.get({ id: 'D1' }), undefined);
      assert.equal(reopened.get({ id: 'D2' })?.message?.conversation, 'text of D2');
      reopened.put(textMessage('E1'));
      await reopened.flush();
      assert.ok((await openMessageStore(dir, { maxMessages: 5 })).get({ id: 'E1' }));
    });
  });

  it('takes over the messages kept by the previous version, and its files', async () => {
    await withTempDir(async (dir) => {
      // The previous version's layout: a snapshot-log named "messages".
      const { log } = await SnapshotLog.open(dir, 'messages', pino({ level: 'silent' }));
      const saved = (message: WAMessage): string => JSON.stringify({ message, key: { ...message.key } }, BufferJSON.replacer);
      await log.append(saved(imageMessage()));
      await log.compact(() => `[${saved(textMessage('OLD1'))}]`);
      await log.append(saved(textMessage('OLD2')));
      await log.idle();

      const store = await openMessageStore(dir);
      assert.equal(store.get({ id: 'OLD1' })?.message?.conversation, 'text of OLD1');
      assert.equal(store.get({ id: 'OLD2' })?.message?.conversation, 'text of OLD2');
      assert.deepEqual((await readdir(dir)).filter((name) => name.startsWith('messages')), [], 'the old files are gone');
      const reopened = await openMessageStore(dir);
      assert.ok(reopened.get({ id: 'OLD1' }));
      assert.ok(reopened.get({ id: 'OLD2' }));
    });
  });

  it('keeps what it retains out of memory: 5,000 messages with thumbnails cost an index, not the messages', async () => {
    await withTempDir(async (dir) => {
      const gc = exposedGc();
      const withThumbnail = (i: number): WAMessage => {
        const message = imageMessage();
        message.key.id = `3EB0THUMB${i}`;
        message.message!.imageMessage!.jpegThumbnail = Buffer.alloc(8_000, i % 256);
        return message;
      };
      const store = await openMessageStore(dir, { maxMessages: 5_000 });
      const before = heapAfterGc(gc);
      for (let i = 0; i < 5_000; i += 1) store.put(withThumbnail(i));
      await store.flush();
      const growth = heapAfterGc(gc) - before;
      console.log(`# memory growth for 5,000 retained messages with 8 kB thumbnails: ${(growth / 1024 / 1024).toFixed(1)} MB`);
      // In memory they would take 5,000 × 8 kB = 40 MB and more.
      assert.ok(growth < 15 * 1024 * 1024, `memory grew ${(growth / 1024 / 1024).toFixed(1)} MB`);
      const oldest = store.get({ id: '3EB0THUMB0' });
      assert.equal(oldest?.message?.imageMessage?.jpegThumbnail?.length, 8_000, 'the oldest is read back from disk whole');
    });
  });
});

function exposedGc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

function heapAfterGc(gc: () => void): number {
  gc();
  gc();
  // Thumbnails are bytes outside the JS heap: count them too.
  const { heapUsed, external } = process.memoryUsage();
  return heapUsed + external;
}
