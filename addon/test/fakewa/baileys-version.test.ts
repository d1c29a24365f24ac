import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';

const PINNED = '7.0.0-rc14';

describe('the Baileys version the fake WhatsApp network was checked against', () => {
  it(`is still ${PINNED}`, async () => {
    const entry = createRequire(import.meta.url).resolve('baileys');
    const manifest = JSON.parse(await readFile(join(dirname(entry), '..', 'package.json'), 'utf8')) as { version: string };
    assert.equal(
      manifest.version,
      PINNED,
      `Baileys is now ${manifest.version}, but the fake WhatsApp network (src/fakewa) speaks the protocol as ${PINNED} does. ` +
        'Re-check the handshake, login, pairing and stanza shapes against the new version, then update this pin.',
    );
  });
});
