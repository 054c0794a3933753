// The ceiling: a policy server that parses each request and answers DUNNO at
// once. Run as `node bench/noop-policy-server.mjs [port]`; it prints
// `ready tcp=127.0.0.1:PORT` (the same first line as greyward) when listening.
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPLY = 'action=DUNNO\n\n';

export function startNoopServer(port = 0, host = '127.0.0.1') {
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    socket.setEncoding('latin1');
    let buffer = '';
    socket.on('data', (chunk) => {
      buffer += chunk;
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        // Parse like a real server would, so the ceiling includes that cost.
        const attributes = {};
        for (const line of buffer.slice(0, end).split('\n')) {
          const eq = line.indexOf('=');
          if (eq > 0) attributes[line.slice(0, eq)] = line.slice(eq + 1);
        }
        buffer = buffer.slice(end + 2);
        socket.write(REPLY);
      }
    });
    socket.on('error', () => socket.destroy());
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const server = await startNoopServer(Number(process.argv[2] ?? 0));
  const { address, port } = server.address();
  process.stdout.write(`ready tcp=${address}:${port}\n`);
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}
