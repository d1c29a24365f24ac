/**
 * The contacts' message history on disk: what a restarted network reads back, from the log as a
 * killed process left it and from the single file earlier versions wrote.
 */
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { proto, type WAMessage } from 'baileys';

import { MessageHistory } from '../../src/fakewa/contacts-history.js';

function text(id: string, body: string): WAMessage {
  return { key: { id, remoteJid: '4917612345678@s.whatsapp.net', fromMe: false }, message: { conversation: body }, messageTimestamp: 1_700_000_000 };
}

function withDir(run: (dir: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'history-'));
    try {
      await run(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

describe('contacts message history', () => {
  it('reads back every message put, with its key and content', withDir(async (dir) => {
    const history = await MessageHistory.open(dir);
    for (let i = 0; i < 50; i++) history.put(text(`m${i}`, `hello ${i}`));
    await history.flush();
    const reopened = await MessageHistory.open(dir);
    assert.equal(reopened.get('m0')?.message?.conversation, 'hello 0');
    assert.equal(reopened.get('m49')?.message?.conversation, 'hello 49');
    assert.equal(reopened.get('m49')?.key.remoteJid, '4917612345678@s.whatsapp.net');
    assert.equal(Number(reopened.get('m49')?.messageTimestamp), 1_700_000_000);
  }));

  it('appends a line per message instead of rewriting, and keeps the log bounded', withDir(async (dir) => {
    const history = await MessageHistory.open(dir);
    for (let i = 0; i < 5_000; i++) history.put(text(`m${i}`, `hello ${i}`));
    await history.flush();
    const lines = readFileSync(join(dir, 'history.jsonl'), 'utf8').split('\n').filter(Boolean).length;
    assert.ok(lines <= 4_000, `${lines} lines`);
    const reopened = await MessageHistory.open(dir);
    assert.equal(reopened.get('m4999')?.message?.conversation, 'hello 4999');
    assert.equal(reopened.get('m2999'), undefined, 'the oldest are forgotten first');
  }));

  it('skips a last line a kill cut short', withDir(async (dir) => {
    const history = await MessageHistory.open(dir);
    history.put(text('kept', 'whole'));
    await history.flush();
    appendFileSync(join(dir, 'history.jsonl'), '{"key":{"id":"cut"');
    const reopened = await MessageHistory.open(dir);
    assert.equal(reopened.get('kept')?.message?.conversation, 'whole');
    assert.equal(reopened.get('cut'), undefined);
    reopened.put(text('after', 'the restart'));
    await reopened.flush();
    assert.equal((await MessageHistory.open(dir)).get('after')?.message?.conversation, 'the restart');
  }));

  it('reads the history an earlier version saved as one file, then keeps it in the log', withDir(async (dir) => {
    const encoded = Buffer.from(proto.Message.encode({ conversation: 'from before' }).finish()).toString('base64');
    const legacy = { version: 1, messages: [{ key: { id: 'old', remoteJid: '4917612345678@s.whatsapp.net', fromMe: true }, message: encoded, timestamp: 1_600_000_000 }] };
    writeFileSync(join(dir, 'history.json'), JSON.stringify(legacy));
    const history = await MessageHistory.open(dir);
    assert.equal(history.get('old')?.message?.conversation, 'from before');
    assert.equal(existsSync(join(dir, 'history.json')), false);
    const reopened = await MessageHistory.open(dir);
    assert.equal(reopened.get('old')?.key.fromMe, true);
  }));

  it('keeps messages in memory only without a folder', async () => {
    const history = await MessageHistory.open(null);
    history.put(text('m', 'memory'));
    await history.flush();
    assert.equal(history.get('m')?.message?.conversation, 'memory');
  });
});
