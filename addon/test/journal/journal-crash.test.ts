import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Journal } from '../../src/journal/journal.js';
import { eventId, statusEvent, withTempDir } from './helpers.js';

const WRITER = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'journal-writer.js');
const KILLS = 50;
// Small enough that segments roll over and get deleted many times during the test.
const MAX_EVENTS = 3_000;

interface WriterRun {
  acknowledged: number[];
  problems: string[];
}

/**
 * Starts the writer and SIGKILLs it `killAfterMs` after it is ready to append (or, with
 * `duringStartup`, after it was spawned, which often hits recovery), returning what it acknowledged.
 */
function runWriterUntilKilled(dir: string, killAfterMs: number, duringStartup: boolean): Promise<WriterRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WRITER, dir, String(MAX_EVENTS)], { stdio: ['ignore', 'pipe', 'pipe'] });
    const run: WriterRun = { acknowledged: [], problems: [] };
    let buffered = '';
    let timer: NodeJS.Timeout | undefined = duringStartup ? setTimeout(() => child.kill('SIGKILL'), killAfterMs) : undefined;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        if (/^\d+$/.test(line)) run.acknowledged.push(Number(line));
        else if (line.startsWith('ready ')) timer ??= setTimeout(() => child.kill('SIGKILL'), killAfterMs);
        else run.problems.push(line);
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => run.problems.push(chunk));
    child.on('error', reject);
    child.on('close', (_code, signal) => {
      clearTimeout(timer);
      if (signal !== 'SIGKILL') run.problems.push(`writer ended on its own (signal ${String(signal)})`);
      resolve(run);
    });
  });
}

it(`loses no acknowledged event when the writer is SIGKILLed ${KILLS} times`, { timeout: 120_000 }, async () => {
  await withTempDir(async (dir) => {
    let maxAcknowledged = 0;
    let totalAcknowledged = 0;
    let killsWithAcknowledgedEvents = 0;
    const started = performance.now();
    for (let kill = 0; kill < KILLS; kill += 1) {
      // Mostly in the middle of a stream of group commits; every fifth time during start-up.
      const duringStartup = kill % 5 === 4;
      const run = await runWriterUntilKilled(dir, Math.random() * 150, duringStartup);
      assert.deepEqual(run.problems, [], `kill ${kill}`);
      if (run.acknowledged.length > 0) killsWithAcknowledgedEvents += 1;
      totalAcknowledged += run.acknowledged.length;
      for (let i = 1; i < run.acknowledged.length; i += 1) {
        assert.equal(run.acknowledged[i], run.acknowledged[i - 1]! + 1, 'acknowledgements arrive in seq order');
      }
      maxAcknowledged = Math.max(maxAcknowledged, ...run.acknowledged);

      const journal = await Journal.open(dir, { maxEvents: MAX_EVENTS });
      const { events, lastSeq, oldestSeq } = (await journal.read(0, Number.MAX_SAFE_INTEGER));
      assert.ok(lastSeq >= maxAcknowledged, `kill ${kill}: lastSeq ${lastSeq} < acknowledged ${maxAcknowledged}`);
      // Nothing lost means the retained events are exactly the newest min(maxEvents, lastSeq) seqs.
      assert.equal(events.length, Math.min(MAX_EVENTS, lastSeq), `kill ${kill}: retained count`);
      events.forEach((event, i) => {
        assert.equal(event.seq, oldestSeq + i, `kill ${kill}: seqs are consecutive`);
        assert.equal(eventId(event), `e-${event.seq}`, `kill ${kill}: event content matches its seq`);
      });
      if (events.length > 0) assert.equal(events.at(-1)!.seq, lastSeq);
      const next = await journal.append(statusEvent(`e-${lastSeq + 1}`));
      assert.equal(next.seq, lastSeq + 1, `kill ${kill}: appending continues with the next seq`);
      maxAcknowledged = next.seq;
      await journal.close();
    }
    const seconds = (performance.now() - started) / 1000;
    assert.ok(killsWithAcknowledgedEvents >= KILLS * 0.6, `only ${killsWithAcknowledgedEvents} kills hit a busy writer`);
    console.log(
      `# ${KILLS} kills in ${seconds.toFixed(1)} s, ${totalAcknowledged} acknowledged appends, ` +
        `${killsWithAcknowledgedEvents} kills during appends, final seq ${maxAcknowledged}`,
    );
  });
});
