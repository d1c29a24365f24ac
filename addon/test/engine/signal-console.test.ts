import assert from 'node:assert/strict';
import { Console } from 'node:console';
import { describe, it } from 'node:test';
import { PassThrough } from 'node:stream';

import { pino, type Logger } from 'pino';

import { quietSignalSessionLogs } from '../../src/engine/signal-console.js';

function capturedConsole(): { console: Console; written: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  return { console: new Console({ stdout: stream, stderr: stream }), written: () => text };
}

function capturedLogger(): { logger: Logger; lines: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  return { logger: pino({ level: 'debug' }, stream), lines: () => text };
}

const SESSION = { currentRatchet: { rootKey: Buffer.from('root-key-bytes-secret'), ephemeralKeyPair: { privKey: Buffer.from('private-key-secret') } } };

describe("libsignal's session lines", () => {
  it('never put session keys into the log, and the rest of the console still prints', async () => {
    const target = capturedConsole();
    const { logger, lines } = capturedLogger();
    quietSignalSessionLogs(logger, target.console);
    quietSignalSessionLogs(logger, target.console);

    target.console.info('Closing session:', SESSION);
    target.console.info('Opening session:', SESSION);
    target.console.warn('Closing open session in favor of incoming prekey bundle');
    target.console.info('something else', 42);
    await new Promise((resolve) => setImmediate(resolve));

    const everything = target.written() + lines();
    assert.doesNotMatch(everything, /secret|privKey|rootKey|<Buffer/);
    assert.equal(target.written(), 'something else 42\n');
    assert.match(lines(), /"msg":"Closing session"/);
    assert.equal(lines().match(/"component":"signal"/g)?.length, 3, 'one short debug line each, installed once');
  });
});
