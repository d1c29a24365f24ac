/**
 * Loaded into the add-on for the memory soak only (`node --expose-gc --import …`): on SIGUSR2 it
 * runs a full garbage collection and prints one line `heap-probe {json}` with process.memoryUsage()
 * from after it, so the report can tell live data apart from heap V8 merely keeps reserved.
 */
process.on('SIGUSR2', () => {
  globalThis.gc();
  process.stdout.write(`heap-probe ${JSON.stringify(process.memoryUsage())}\n`);
});
