// Load generator for Postfix SMTPD policy delegation servers.
// Each connection behaves like one smtpd process: one request at a time on a
// persistent connection, waiting for the full reply before sending the next.
import net from 'node:net';

const REQUEST_TIMEOUT_MS = 10_000;

/** mulberry32: small, fast, deterministic 32-bit PRNG returning floats in [0, 1). */
export function makeRng(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const randInt = (rng, n) => Math.floor(rng() * n);

// Public-looking first octets only, so no greylister's default whitelist of
// private or loopback ranges short-circuits the triplet lookup.
const FIRST_OCTETS = [];
for (let o = 11; o <= 223; o++) {
  if (o !== 100 && o !== 127 && o !== 169 && o !== 172 && o !== 192) FIRST_OCTETS.push(o);
}

/**
 * One triplet plus the client attributes smtpd sends with it.
 * `id` must be alphanumeric only: postgrey and sqlgrey normalise local parts
 * around separators (".", "-", "+", standalone numbers), which would merge
 * supposedly distinct senders.
 */
export function makeTriplet(rng, id) {
  const a = FIRST_OCTETS[randInt(rng, FIRST_OCTETS.length)];
  const b = randInt(rng, 256);
  const c = randInt(rng, 256);
  const d = 1 + randInt(rng, 254);
  const domain = `d${randInt(rng, 50_000)}.example`;
  return {
    clientAddress: `${a}.${b}.${c}.${d}`,
    clientName: `mx${d}.${domain}`,
    helo: `mx${d}.${domain}`,
    sender: `u${id}@${domain}`,
    recipient: `r${id}@dest${randInt(rng, 20)}.test`,
  };
}

/** A fixed, reproducible set of triplets for the "known" scenario. */
export function makeKnownTriplets(count, seed = 1) {
  const rng = makeRng(seed ^ 0x5eed);
  const triplets = [];
  for (let i = 0; i < count; i++) triplets.push(makeTriplet(rng, `k${seed}x${i}`));
  return triplets;
}

let instanceCounter = 0;

export function formatRequest(t) {
  instanceCounter = (instanceCounter + 1) >>> 0;
  return (
    'request=smtpd_access_policy\n' +
    'protocol_state=RCPT\n' +
    'protocol_name=ESMTP\n' +
    `client_address=${t.clientAddress}\n` +
    `client_name=${t.clientName}\n` +
    `reverse_client_name=${t.clientName}\n` +
    `helo_name=${t.helo}\n` +
    `sender=${t.sender}\n` +
    `recipient=${t.recipient}\n` +
    'recipient_count=0\n' +
    'queue_id=\n' +
    `instance=${process.pid.toString(16)}.${instanceCounter.toString(16)}\n` +
    'size=0\n\n'
  );
}

/** With one request in flight, its reply is complete when the bytes end with the blank line. */
function replyComplete(bytes) {
  const length = bytes.length;
  return length >= 2 && bytes[length - 1] === 10 && bytes[length - 2] === 10;
}

/** The reply's action word, upper-cased (e.g. "DUNNO", "DEFER_IF_PERMIT", "PREPEND"). */
function replyAction(bytes) {
  const at = bytes.indexOf('action=');
  if (at < 0) return 'MALFORMED';
  let stop = at + 7;
  while (stop < bytes.length && bytes[stop] !== 32 && bytes[stop] !== 10) stop++;
  return bytes.toString('latin1', at + 7, stop).toUpperCase();
}

/**
 * A persistent policy connection: `ask(triplet)` resolves with the reply's
 * action word (e.g. "DUNNO", "DEFER_IF_PERMIT", "PREPEND").
 */
export function openPolicyConnection(host, port) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    socket.setNoDelay(true);
    let buffer = null;
    let pending = null;
    let timer = null;
    const fail = (err) => {
      if (pending) {
        const p = pending;
        pending = null;
        clearTimeout(timer);
        p.reject(err);
      }
    };
    socket.on('data', (chunk) => {
      buffer = buffer ? Buffer.concat([buffer, chunk]) : chunk;
      if (!pending || !replyComplete(buffer)) return;
      const reply = buffer;
      buffer = null;
      const p = pending;
      pending = null;
      clearTimeout(timer);
      p.resolve(replyAction(reply));
    });
    socket.on('error', (err) => {
      fail(err);
      reject(err);
    });
    socket.on('close', () => fail(new Error('connection closed by server')));
    socket.once('connect', () => {
      resolve({
        ask(triplet) {
          return new Promise((res, rej) => {
            pending = { resolve: res, reject: rej };
            timer = setTimeout(() => {
              fail(new Error(`no reply within ${REQUEST_TIMEOUT_MS} ms`));
              socket.destroy();
            }, REQUEST_TIMEOUT_MS);
            socket.write(formatRequest(triplet));
          });
        },
        close() {
          socket.end();
          socket.destroy();
        },
      });
    });
  });
}

/** Send every triplet once (spread over `connections`), returning action counts. */
export async function primeTriplets({ host, port, triplets, connections = 8 }) {
  const actions = {};
  let next = 0;
  const worker = async () => {
    const conn = await openPolicyConnection(host, port);
    try {
      while (next < triplets.length) {
        const action = await conn.ask(triplets[next++]);
        actions[action] = (actions[action] ?? 0) + 1;
      }
    } finally {
      conn.close();
    }
  };
  await Promise.all(Array.from({ length: Math.min(connections, triplets.length) }, worker));
  return actions;
}

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))];
}

/**
 * Run load against a policy server.
 * scenario: "new" (never-seen triplets), "known" (drawn from knownTriplets,
 * which the caller primed), or "mix" (knownShare of requests known, rest new).
 * seed must differ between runs against one server so "new" stays new.
 * With `ports`, connection i goes to ports[i % ports.length]: several filters
 * sharing one database, asked as Postfix hosts would ask them, measured as one.
 *
 * The generator shares the machine's cores with the server it measures, so its
 * own cost per request is kept low: no promise or timer per request (one
 * watchdog for the run), replies read from the raw bytes.
 */
export async function runLoad({
  host = '127.0.0.1',
  port,
  ports = [port],
  connections = 1,
  durationMs,
  requests,
  scenario = 'new',
  knownTriplets = [],
  knownShare = 0.5,
  seed = 1,
}) {
  if (!durationMs && !requests) throw new Error('runLoad needs durationMs or requests');
  if (scenario !== 'new' && knownTriplets.length === 0) {
    throw new Error(`scenario "${scenario}" needs knownTriplets`);
  }
  const share = scenario === 'known' ? 1 : scenario === 'mix' ? knownShare : 0;
  let latencies = new Float64Array(1 << 16);
  let answered = 0;
  const actions = {};
  const errors = [];
  let issued = 0;
  let deadline = Infinity;

  const record = (latency, action) => {
    if (answered === latencies.length) {
      const grown = new Float64Array(latencies.length * 2);
      grown.set(latencies);
      latencies = grown;
    }
    latencies[answered++] = latency;
    actions[action] = (actions[action] ?? 0) + 1;
  };

  const connect = (_, index) =>
    new Promise((resolve, reject) => {
      const socket = net.connect({ host, port: ports[index % ports.length] });
      socket.setNoDelay(true);
      socket.once('connect', () => resolve(socket));
      socket.once('error', reject);
    });

  const sockets = await Promise.all(Array.from({ length: connections }, connect));
  const lastSent = new Float64Array(connections);
  const starts = [];
  const finishes = [];
  const finished = sockets.map(
    (socket, index) =>
      new Promise((resolve) => {
        const rng = makeRng(seed * 7919 + index);
        let n = 0;
        let pending = null;
        let done = false;
        const finish = (error) => {
          if (done) return;
          done = true;
          if (error) errors.push(error);
          lastSent[index] = Infinity;
          socket.end();
          socket.destroy();
          resolve();
        };
        const send = () => {
          if (requests ? issued >= requests : performance.now() >= deadline) return finish();
          issued++;
          const triplet =
            rng() < share
              ? knownTriplets[randInt(rng, knownTriplets.length)]
              : makeTriplet(rng, `n${seed}x${index}y${n++}`);
          lastSent[index] = performance.now();
          socket.write(formatRequest(triplet), 'latin1');
        };
        socket.on('data', (chunk) => {
          const reply = pending ? Buffer.concat([pending, chunk]) : chunk;
          if (!replyComplete(reply)) {
            pending = reply;
            return;
          }
          pending = null;
          const latency = performance.now() - lastSent[index];
          const action = replyAction(reply);
          record(latency, action);
          send();
        });
        socket.on('error', (err) => finish(err.message));
        socket.on('close', () => finish('connection closed by server'));
        starts.push(send);
        finishes.push(finish);
      }),
  );
  const watchdog = setInterval(() => {
    const now = performance.now();
    finishes.forEach((finish, index) => {
      if (now - lastSent[index] > REQUEST_TIMEOUT_MS) finish(`no reply within ${REQUEST_TIMEOUT_MS} ms`);
    });
  }, 1000);

  const started = performance.now();
  if (durationMs) deadline = started + durationMs;
  for (const start of starts) start();
  await Promise.all(finished);
  clearInterval(watchdog);
  const seconds = (performance.now() - started) / 1000;

  const sorted = latencies.subarray(0, answered).sort();
  const round = (x) => Math.round(x * 1000) / 1000;
  return {
    requests: sorted.length,
    seconds: round(seconds),
    throughput: Math.round(sorted.length / seconds),
    p50: round(percentile(sorted, 50)),
    p95: round(percentile(sorted, 95)),
    p99: round(percentile(sorted, 99)),
    max: round(sorted.length ? sorted[sorted.length - 1] : NaN),
    actions,
    errors: errors.length ? [...new Set(errors)] : undefined,
  };
}
