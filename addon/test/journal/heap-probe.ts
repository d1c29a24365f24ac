/**
 * Child process for the journal memory test (run with --expose-gc): appends `count` message events
 * to a journal keeping `maxEvents`, and prints the memory in use after a full GC, before and after:
 * the heap and array buffers, where typed arrays keep their contents.
 * Arguments: <journal dir> <maxEvents> <count>
 */
import { Journal } from '../../src/journal/journal.js';
import type { JournalInput } from '../../src/journal/types.js';
import { inBursts, memoryAfterGc } from '../helpers/heap-probe.js';
import { messageEvent } from '../helpers/messages.js';

const [dir, maxEvents, count] = process.argv.slice(2);
if (!dir || !maxEvents || !count) throw new Error('usage: heap-probe <dir> <maxEvents> <count>');

function message(index: number): JournalInput {
  return messageEvent(`3EB0${index.toString(16).padStart(16, '0')}`, {
    chat_name: 'Anna',
    text: `Message number ${index}: ${'lorem ipsum dolor sit amet '.repeat(8)}`,
  });
}

const journal = await Journal.open(dir, { maxEvents: Number(maxEvents) });
const before = memoryAfterGc();
await inBursts(Number(count), (index) => journal.append(message(index)));
const after = memoryAfterGc();
const page = await journal.read(0, 10);
process.stdout.write(`${JSON.stringify({ before, after, lastSeq: journal.lastSeq, oldestSeq: page.oldestSeq })}\n`);
await journal.close();
