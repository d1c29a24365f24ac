/**
 * Where a measured process spent its CPU: reads a `.cpuprofile` written with WA_BENCH_PROFILE_DIR
 * (`node --cpu-prof`) and prints the functions with the most self time, and the share of each
 * package or source folder, so a missed goal can be traced to what bounds it.
 *
 * Usage: node bench/profile-top.mjs <file.cpuprofile> [count] [from_ns to_ns]
 *   count: how many functions to list (default 25)
 *   from_ns to_ns: only samples in this CLOCK_MONOTONIC window (the `handed_over_ns` and
 *   `last_seen_ns` of GET /backlog, for example): V8 stamps samples with the same clock.
 */
import { readFileSync } from 'node:fs';

const [file, limitArg, fromArg, toArg] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: node bench/profile-top.mjs <file.cpuprofile> [count]\n');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, 'utf8'));
const limit = Number(limitArg ?? 25);

const fromUs = fromArg ? Number(BigInt(fromArg) / 1000n) : -Infinity;
const toUs = toArg ? Number(BigInt(toArg) / 1000n) : Infinity;

// Sample intervals in microseconds; each sample is charged to the node it landed in (self time).
const selfUs = new Map();
let at = profile.startTime;
for (let i = 0; i < profile.samples.length; i += 1) {
  at += profile.timeDeltas[i] ?? 0;
  if (at < fromUs || at > toUs) continue;
  const delta = profile.timeDeltas[i + 1] ?? 0;
  selfUs.set(profile.samples[i], (selfUs.get(profile.samples[i]) ?? 0) + delta);
}

/** `baileys`, `libsignal`, `addon:journal`, `node:internal`, … from a script URL. */
function areaOf(url) {
  if (!url) return '(native / idle / gc)';
  const pkg = url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
  if (pkg) return pkg[1];
  const own = url.match(/dist\/src\/([^/]+)\//);
  if (own) return `addon:${own[1]}`;
  if (url.startsWith('node:')) return 'node:internal';
  return url.split('/').slice(-2).join('/');
}

const byFunction = new Map();
const byArea = new Map();
let total = 0;
for (const node of profile.nodes) {
  const us = selfUs.get(node.id) ?? 0;
  if (us === 0) continue;
  total += us;
  const { functionName, url, lineNumber } = node.callFrame;
  const name = `${functionName || '(anonymous)'} ${url ? `${url.split('/').slice(-2).join('/')}:${lineNumber + 1}` : ''}`.trim();
  byFunction.set(name, (byFunction.get(name) ?? 0) + us);
  const area = areaOf(url);
  byArea.set(area, (byArea.get(area) ?? 0) + us);
}

const idle = byFunction.get('(idle)') ?? 0;
const share = (us) => `${((100 * us) / total).toFixed(1).padStart(5)} %`;
process.stdout.write(`${(total / 1e6).toFixed(2)} s sampled, ${((total - idle) / 1e6).toFixed(2)} s of it busy\n\nby area:\n`);
for (const [area, us] of [...byArea].sort((a, b) => b[1] - a[1]).slice(0, 15)) process.stdout.write(`${share(us)}  ${area}\n`);
process.stdout.write('\nby function (self time):\n');
for (const [name, us] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, limit)) process.stdout.write(`${share(us)}  ${name}\n`);
