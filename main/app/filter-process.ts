/**
 * The filter inside an Electron utility process (utilityProcess.fork). No electron import: the
 * utility process offers its channel to the app as process.parentPort. The filter command's
 * ready handshake uses process.send, which a utility process does not have, so it is routed to
 * parentPort here; the filter command itself stays the one `greyward filter` runs everywhere.
 */
import { FILTER_ARGS_MARKER } from './filter-process-args.js';

const marker = process.argv.indexOf(FILTER_ARGS_MARKER);
const args = marker >= 0 ? process.argv.slice(marker + 1) : [];
const parentPort = process.parentPort;
process.send = (message: unknown) => {
  parentPort.postMessage(message);
  return true;
};

const { main } = await import('../cli/index.js');
await main(['electron', 'greyward', 'filter', ...args]);
