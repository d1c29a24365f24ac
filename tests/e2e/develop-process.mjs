/**
 * `scripts/develop` run the way a person runs it in a terminal, for the browser walk and the tests of the
 * script itself: its own process group, watched through its output, stopped by Ctrl-C.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createWriteStream, readdirSync, readFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const READY_LINE = 'is running (engine: simulator)';
const STARTUP_TIMEOUT_MS = 180_000;
// After the script has exited, how long its output may stay open. Only a process it left behind keeps
// the pipe open that long, and that must not keep the test run alive.
const OUTPUT_GRACE_MS = 2_000;

export async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export function portAnswers(port) {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Processes still running with `DEVELOP_DIR=developDir` in their environment: whatever a run of
 * scripts/develop started inherits it, so after the script has stopped there must be none. Waits up to
 * `graceMs` for processes that are on their way out.
 */
export async function processesLeftBehind(developDir, graceMs = 5_000) {
  const marker = `\0DEVELOP_DIR=${developDir}\0`;
  const deadline = Date.now() + graceMs;
  for (;;) {
    const left = [];
    for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
      if (Number(pid) === process.pid) continue;
      try {
        if (`\0${readFileSync(`/proc/${pid}/environ`, 'latin1')}\0`.includes(marker)) {
          left.push(`${pid} ${readFileSync(`/proc/${pid}/cmdline`, 'latin1').replaceAll('\0', ' ').trim()}`);
        }
      } catch {
        // Gone meanwhile, or not ours to read.
      }
    }
    if (left.length === 0 || Date.now() > deadline) return left;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

export class Develop {
  /** Starts `scripts/develop --simulator` with `env`; everything it prints is also written to `logPath`. */
  constructor(env, logPath) {
    this.output = '';
    this.log = createWriteStream(logPath);
    this.child = spawn(join(ROOT, 'scripts', 'develop'), ['--simulator'], {
      cwd: ROOT,
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
    this.child.once('close', () => this.log.end());
    this.child.once('exit', () => {
      setTimeout(() => {
        this.child.stdout.destroy();
        this.child.stderr.destroy();
      }, OUTPUT_GRACE_MS).unref();
    });
    for (const stream of [this.child.stdout, this.child.stderr]) {
      stream.on('data', (chunk) => {
        this.output += chunk;
        this.log.write(chunk);
      });
    }
  }

  /** Seconds until the script says that everything runs; fails when it exits first or takes too long. */
  async ready() {
    const started = Date.now();
    while (!this.output.includes(READY_LINE)) {
      if (this.child.exitCode !== null) {
        assert.fail(`scripts/develop exited with ${this.child.exitCode} before it was ready:\n${this.tail()}`);
      }
      if (Date.now() - started > STARTUP_TIMEOUT_MS) {
        assert.fail(`scripts/develop was not ready within ${STARTUP_TIMEOUT_MS / 1000} s:\n${this.tail()}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    return (Date.now() - started) / 1000;
  }

  tail() {
    return this.output.split('\n').slice(-30).join('\n');
  }

  /** Ctrl-C: SIGINT to the whole foreground process group, as the terminal sends it. */
  async interrupt(timeoutMs = 60_000) {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.exited;
    process.kill(-this.child.pid, 'SIGINT');
    let timer;
    const timeout = new Promise((resolve) => {
      timer = setTimeout(() => resolve(null), timeoutMs);
    });
    const result = await Promise.race([this.exited, timeout]);
    clearTimeout(timer);
    if (result === null) process.kill(-this.child.pid, 'SIGKILL');
    return result;
  }
}
