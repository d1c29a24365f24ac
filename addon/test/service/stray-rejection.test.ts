import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';

const HANDLER = pathToFileURL(join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'util', 'stray-rejections.js')).href;

/** Runs a process that rejects a promise nobody handles, with or without the add-on's handler. */
function runWithStrayRejection(installHandler: boolean): Promise<{ code: number | null; output: string }> {
  const script = `
    const { keepRunningOnStrayRejections } = await import(${JSON.stringify(HANDLER)});
    const lines = [];
    if (${installHandler}) keepRunningOnStrayRejections({ error: (fields, message) => console.log(JSON.stringify({ ...fields, message })) });
    Promise.reject(new Error('a socket task failed'));
    setTimeout(() => { console.log('still serving'); process.exit(0); }, 200);
  `;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('exit', (code) => resolve({ code, output }));
  });
}

test('a promise one account’s socket forgot to handle does not end the service for the others', async () => {
  const withHandler = await runWithStrayRejection(true);
  assert.equal(withHandler.code, 0, withHandler.output);
  assert.match(withHandler.output, /still serving/);
  assert.match(withHandler.output, /a socket task failed/, 'the failure is logged, not swallowed');

  // Node's default, which the handler replaces: the whole process (every account) would die.
  const withoutHandler = await runWithStrayRejection(false);
  assert.notEqual(withoutHandler.code, 0);
  assert.doesNotMatch(withoutHandler.output, /still serving/);
});
