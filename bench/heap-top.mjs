/**
 * What a heap snapshot holds: reads a `.heapsnapshot` (written with WA_BENCH_PROFILE_DIR, or by
 * `POST /profile/heap` on bench/network-control.mjs) and prints the self size per object kind and
 * constructor, largest first. Comparing the add-on's with bare Baileys' shows what the add-on adds.
 *
 * Usage: node bench/heap-top.mjs <file.heapsnapshot> [how many rows, default 25]
 */
import { readFileSync } from 'node:fs';

const [file, limitArg] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: node bench/heap-top.mjs <file.heapsnapshot> [count]\n');
  process.exit(2);
}
const snapshot = JSON.parse(readFileSync(file, 'utf8'));
const limit = Number(limitArg ?? 25);
const { node_fields: fields, node_types: [types] } = snapshot.snapshot.meta;
const width = fields.length;
const typeAt = fields.indexOf('type');
const nameAt = fields.indexOf('name');
const sizeAt = fields.indexOf('self_size');

const bySize = new Map();
let total = 0;
for (let i = 0; i < snapshot.nodes.length; i += width) {
  const type = types[snapshot.nodes[i + typeAt]];
  const size = snapshot.nodes[i + sizeAt];
  // Strings and code by kind; objects by constructor name.
  const key = type === 'object' || type === 'closure' ? `${type} ${snapshot.strings[snapshot.nodes[i + nameAt]]}` : type;
  bySize.set(key, (bySize.get(key) ?? 0) + size);
  total += size;
}
process.stdout.write(`${(total / 1048576).toFixed(1)} MB in the snapshot\n`);
for (const [key, size] of [...bySize].sort((a, b) => b[1] - a[1]).slice(0, limit)) {
  process.stdout.write(`${(size / 1048576).toFixed(2).padStart(8)} MB  ${key}\n`);
}
