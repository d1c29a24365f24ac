/**
 * Loaded into the add-on for the benchmarks that compare it with bare Baileys
 * (`node --import bench/addon-preload.mjs dist/src/main.js`, WA_ENGINE=simulator): it serves
 * bench/network-control.mjs on 127.0.0.1:WA_BENCH_CONTROL_PORT for the fake network the add-on
 * starts, and counts a backlog message as done once the add-on has journalled it.
 *
 * The bare baseline serves the same routes, so both carry the same small control server.
 */
import { SimulatedWhatsApp } from '../addon/dist/src/simulator/simulated-whatsapp.js';
import { BacklogTracker, serveNetworkControl } from './network-control.mjs';

const port = Number(process.env.WA_BENCH_CONTROL_PORT);
const tracker = new BacklogTracker();

const start = SimulatedWhatsApp.start;
let served = false;
SimulatedWhatsApp.start = async function startWithControl(settings) {
  const simulated = await start.call(this, settings);
  // Each account has its own fake network; the first one started is the default account's.
  if (!served) {
    served = true;
    await serveNetworkControl(simulated, { port, tracker, logger: settings.logger });
  }
  return simulated;
};

const journalled = SimulatedWhatsApp.prototype.journalled;
SimulatedWhatsApp.prototype.journalled = function journalledAndCounted(event) {
  journalled.call(this, event);
  if (event.type === 'message') tracker.observe(event.data?.id);
};
