import { PolicyClient, rcpt, type Endpoint } from './policy-client.js';

/**
 * Seeded mail traffic for the filter: real policy requests over a real socket, with the filter's
 * injected clock moved by the generator (never a sleep). Honest senders retry the way MTAs do;
 * the others follow the patterns greylisting loses mail to, in known numbers.
 */

export const PATTERNS = ['honest', 'early-then-gone', 'never-retried', 'pool-rotation', 'family-switch', 'hammering', 'pool-healed'] as const;
export type Pattern = (typeof PATTERNS)[number];

export const DEFAULT_MIX: Record<Pattern, number> = {
  honest: 20,
  'early-then-gone': 5,
  'never-retried': 5,
  'pool-rotation': 4,
  'family-switch': 3,
  hammering: 3,
  // A pool whose third retry comes back to the first network after the delay, and passes.
  'pool-healed': 2,
};

/** The patterns of mail at risk, which the classifier must find. */
export const AT_RISK: readonly Pattern[] = ['early-then-gone', 'never-retried', 'pool-rotation', 'family-switch', 'hammering'];

export interface Client {
  address: string;
  /** "unknown" when the client has no forward-confirmed reverse name. */
  name: string;
}

export interface SentAttempt extends Client {
  at: number;
  reply: string;
}

export interface PlantedSender {
  pattern: Pattern;
  sender: string;
  recipient: string;
  firstAt: number;
  /** Clients it uses, in the order of its attempts (cycled). */
  clients: Client[];
  sent: SentAttempt[];
  passed: boolean;
}

export interface TrafficOptions {
  endpoint: Endpoint;
  clock: { now: number };
  /** Unix seconds of the first possible attempt. */
  start: number;
  seed?: number;
  mix?: Partial<Record<Pattern, number>>;
  /** First attempts fall in [start, start + spread). Default 20 h: a simulated day with time for the last to show. */
  spread?: number;
  /** The simulation ends here (checkpoints run up to it). Default start + 26 h. */
  until?: number;
  /** Resolves once the filter has committed every answer it gave. */
  settle(): Promise<void>;
  /** Runs every `every` seconds of simulated time, with the clock set to that moment. */
  checkpoint?: { every: number; run(now: number): Promise<void> };
}

/** mulberry32: small, seedable, good enough to spread test traffic. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function plant(pattern: Pattern, k: number, serial: number, firstAt: number): PlantedSender {
  const p = PATTERNS.indexOf(pattern) + 1;
  const named = (address: string, name: string): Client => ({ address, name });
  const recipient = `rcpt${serial}@example.net`;
  const make = (sender: string, clients: Client[]): PlantedSender => ({ pattern, sender, recipient, firstAt, clients, sent: [], passed: false });
  switch (pattern) {
    case 'honest':
      // The first five share a domain with the early-then-gone senders, delivered from elsewhere.
      return make(`news${k}@${k < 5 ? `corp${k}` : `honest${k}`}.example`, [named(`10.${p}.${k}.25`, `mail.relay${k}.example`)]);
    case 'early-then-gone':
      return make(`staff${k}@corp${k}.example`, [named(`10.${p}.${k}.10`, `exchange.corp${k}.example`)]);
    case 'never-retried':
      return make(`offer${k}@deals${k}.example`, [named(`10.${p}.${k}.77`, 'unknown')]);
    case 'pool-rotation':
    case 'pool-healed': {
      const pool = [0, 1, 2].map((j) => named(`10.${p}.${k * 3 + j}.${40 + j}`, `out${k * 3 + j}.pool.mailhost.example`));
      return make(`billing${k}@brand${p}${k}.example`, pattern === 'pool-healed' ? [pool[0]!, pool[1]!, pool[0]!] : pool);
    }
    case 'family-switch':
      return make(`team${k}@dual${k}.example`, [named(`10.${p}.${k}.5`, `mx.dual${k}.example`), named(`2001:db8:${p}:${k}::5`, `mx.dual${k}.example`)]);
    case 'hammering':
      return make(`promo${k}@blast${k}.example`, [named(`10.${p}.${k}.66`, 'unknown')]);
  }
}

/** When the sender tries next, given what it has sent so far; undefined when it stops. */
function nextAttemptAt(sender: PlantedSender, random: () => number): number | undefined {
  const n = sender.sent.length;
  const last = sender.sent.at(-1);
  if (!last) return sender.firstAt;
  if (!last.reply.startsWith('DEFER')) return undefined;
  const between = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  switch (sender.pattern) {
    case 'honest':
      return last.at + between(300, 1800);
    case 'early-then-gone':
      // Exchange 2003 SP2: two quick retries, then the message is dropped.
      return n < 3 ? sender.firstAt + [0, 5, 20][n]! : undefined;
    case 'never-retried':
      return undefined;
    case 'pool-rotation':
    case 'pool-healed':
      return n < 3 ? sender.firstAt + [0, between(600, 900), between(1800, 2400)][n]! : undefined;
    case 'family-switch':
      return n < 2 ? last.at + between(600, 1200) : undefined;
    case 'hammering':
      // Every 10 s for two minutes, all inside the delay, then gone.
      return n < 13 ? last.at + 10 : undefined;
  }
}

/** Plans the senders (deterministic for a seed) without sending anything. */
export function planSenders(options: Pick<TrafficOptions, 'start' | 'seed' | 'mix' | 'spread'>): PlantedSender[] {
  const random = seededRandom(options.seed ?? 0x67726579);
  const mix = { ...DEFAULT_MIX, ...options.mix };
  const spread = options.spread ?? 20 * 3600;
  const senders: PlantedSender[] = [];
  for (const pattern of PATTERNS) {
    for (let k = 0; k < mix[pattern]; k++) senders.push(plant(pattern, k, senders.length, options.start + Math.floor(random() * spread)));
  }
  return senders;
}

/** Sends the planted traffic in time order on one connection, as a Postfix would, and returns what each sender saw. */
export async function runTraffic(options: TrafficOptions): Promise<PlantedSender[]> {
  const senders = planSenders(options);
  const random = seededRandom((options.seed ?? 0x67726579) ^ 0x5eed);
  const until = options.until ?? options.start + 26 * 3600;
  const queue = senders.map((sender) => ({ at: sender.firstAt, sender }));
  const client = await PolicyClient.connect(options.endpoint);
  let nextCheckpoint = options.checkpoint ? options.start + options.checkpoint.every : Number.POSITIVE_INFINITY;
  const checkpointsUpTo = async (time: number) => {
    while (options.checkpoint && nextCheckpoint <= time) {
      options.clock.now = nextCheckpoint;
      await options.settle();
      await options.checkpoint.run(nextCheckpoint);
      nextCheckpoint += options.checkpoint.every;
    }
  };
  try {
    while (queue.length > 0) {
      queue.sort((a, b) => a.at - b.at);
      const { at, sender } = queue.shift()!;
      await checkpointsUpTo(at);
      options.clock.now = at;
      const from = sender.clients[sender.sent.length % sender.clients.length]!;
      const reply = await client.ask(
        rcpt({
          client_address: from.address,
          client_name: from.name,
          reverse_client_name: from.name,
          helo_name: from.name === 'unknown' ? `[${from.address}]` : from.name,
          sender: sender.sender,
          recipient: sender.recipient,
        }),
      );
      sender.sent.push({ ...from, at, reply });
      sender.passed ||= !reply.startsWith('DEFER');
      const next = nextAttemptAt(sender, random);
      if (next !== undefined) queue.push({ at: next, sender });
    }
    await checkpointsUpTo(until);
    options.clock.now = Math.max(options.clock.now, until);
    await options.settle();
  } finally {
    client.close();
  }
  return senders;
}

/** Sends one more attempt of a planted sender now (e.g. its next retry after a fix). */
export async function retryNow(endpoint: Endpoint, sender: PlantedSender, client: Client = sender.clients[0]!): Promise<string> {
  const connection = await PolicyClient.connect(endpoint);
  try {
    return await connection.ask(rcpt({ client_address: client.address, client_name: client.name, reverse_client_name: client.name, sender: sender.sender, recipient: sender.recipient }));
  } finally {
    connection.close();
  }
}
