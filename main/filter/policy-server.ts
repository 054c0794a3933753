import { chmodSync, existsSync, lstatSync, unlinkSync } from 'node:fs';
import net from 'node:net';
import { networkContains, parseNetwork, type Network } from '../../shared/net.js';
import type { Log } from './log.js';
import { RoundRobin } from './round-robin.js';
import {
  DEFAULT_LIMITS,
  formatReply,
  PolicyRequestParser,
  ProtocolError,
  readPolicyRequest,
  type PolicyAttributes,
  type PolicyRequest,
  type ProtocolLimits,
} from './policy-protocol.js';

export interface PolicyServerOptions {
  /** A string when the answer is ready at once, which is then written without waiting for a later turn. */
  answer(request: PolicyRequest): string | Promise<string>;
  log: Log;
  /**
   * TCP peers outside these networks are refused; UNIX socket peers are governed by the socket's
   * permissions. Asked at every connection, so that a changed setting applies to the next one.
   */
  allowedClients(): readonly string[];
  limits?: ProtocolLimits;
  /** At this many, a new connection closes the longest-idle one, or is refused when every one is deciding. */
  maxConnections?: number;
  /** Postfix keeps an idle policy connection for smtpd_policy_service_max_idle (300 s) before closing it itself. */
  idleTimeoutMs?: number;
  /** A request not complete this long after its first byte is cut off, however slowly its bytes keep coming. */
  requestTimeoutMs?: number;
  /**
   * A connection with more answers than this not yet handed to the system is not read until it has
   * fewer: a client that pipelines requests without reading the answers holds a bounded amount of memory.
   * Postfix asks one question at a time.
   */
  maxUnsentAnswers?: number;
}

interface Connection {
  socket: net.Socket;
  peer: string;
  parser: PolicyRequestParser;
  /** Answers still being decided: a connection with any is in use, never closed to make room. */
  busy: number;
  /** Answers owed and not yet handed to the system: being decided, or waiting in the socket's buffer. */
  unsent: number;
  /** Settles when the last answer decided later is written: answers go out in the order asked. */
  answers: Promise<unknown>;
  requestTimer: NodeJS.Timeout | undefined;
  closing: boolean;
}

const NOTHING = Buffer.alloc(0);
/**
 * A connection that sent more requests than it has answers for is not read further: its requests
 * are answered this many at a time, taking turns with the others like it, so that they cannot make
 * a client that asks one question at a time (Postfix) wait for all of theirs.
 */
const REQUESTS_PER_SLICE = 16;
/** An event-loop turn answers this many slices at most, and none after TURN_MS, before the sockets are polled again. */
const SLICES_PER_TURN = 32;
const TURN_MS = 1;

type StreamHandle = { reading?: boolean; readStart?(): number; readStop?(): number };
const handleOf = (socket: net.Socket) => (socket as unknown as { _handle?: StreamHandle })._handle;

/**
 * Stops reading a socket at once, so that what its peer sends next waits in the system's buffers.
 * pause() alone stops the 'data' events, yet the stream goes on reading a chunk of up to 64 KB into
 * its own buffer: 64 MB more at the connection cap. This pair does what pause() and resume() do for
 * sockets that read into a buffer of their own (the onread option, which an accepted socket cannot
 * have); with no high-water mark the stream does not read ahead either.
 */
function stopReading(socket: net.Socket): void {
  socket.pause();
  const handle = handleOf(socket);
  if (handle?.reading && typeof handle.readStop === 'function' && !socket.destroyed) {
    handle.reading = false;
    handle.readStop();
  }
}

function readOn(socket: net.Socket): void {
  socket.resume();
  const handle = handleOf(socket);
  if (handle && handle.reading === false && typeof handle.readStart === 'function' && !socket.destroyed) {
    handle.reading = true;
    handle.readStart();
  }
}

/** Repeated warnings about one cause are told once per interval, with a count, so a flood cannot flood the log too. */
class WarningThrottle {
  private readonly last = new Map<string, { at: number; suppressed: number }>();
  constructor(private readonly log: Log, private readonly intervalMs = 10_000) {}

  warn(cause: string, message: string): void {
    const now = Date.now();
    const seen = this.last.get(cause);
    if (seen && now - seen.at < this.intervalMs) {
      seen.suppressed++;
      return;
    }
    const suffix = seen?.suppressed ? ` (${seen.suppressed} more like this since the last report)` : '';
    this.last.set(cause, { at: now, suppressed: 0 });
    this.log.warn(message + suffix);
  }
}

export class PolicyServer {
  private readonly servers: net.Server[] = [];
  private readonly connections = new Set<Connection>();
  private allowed: { texts: readonly string[]; networks: Network[] } = { texts: [], networks: [] };
  private readonly throttle: WarningThrottle;
  private readonly limits: ProtocolLimits;
  private readonly unixPaths: string[] = [];
  /** Connections with more requests read than one slice, and room for their answers. */
  private readonly turns: RoundRobin<Connection>;
  private readonly maxUnsent: number;

  constructor(private readonly options: PolicyServerOptions) {
    this.throttle = new WarningThrottle(options.log);
    this.limits = options.limits ?? DEFAULT_LIMITS;
    this.maxUnsent = options.maxUnsentAnswers ?? 64;
    this.turns = new RoundRobin((connection) => this.serve(connection, NOTHING, REQUESTS_PER_SLICE), SLICES_PER_TURN, TURN_MS);
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  async listenTcp(host: string, port: number): Promise<{ host: string; port: number }> {
    const server = this.createServer(true);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host, port, backlog: 511 }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address() as net.AddressInfo;
    return { host: address.address, port: address.port };
  }

  async listenUnix(path: string, mode: number): Promise<void> {
    if (existsSync(path)) {
      if (!lstatSync(path).isSocket()) throw new Error(`${path} exists and is not a socket; refusing to replace it`);
      const inUse = await new Promise<boolean>((resolve) => {
        const probe = net.connect(path, () => (probe.destroy(), resolve(true)));
        probe.on('error', () => resolve(false));
      });
      if (inUse) throw new Error(`${path} is in use by another process`);
      unlinkSync(path);
    }
    const server = this.createServer(false);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => {
        server.off('error', reject);
        resolve();
      });
    });
    chmodSync(path, mode);
    this.unixPaths.push(path);
  }

  /** Stops accepting, lets requests in flight be answered, then closes every connection. */
  async close(): Promise<void> {
    const closed = this.servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve())));
    for (const connection of this.connections) {
      connection.closing = true;
      // Requests read and not yet answered are dropped; reading on (and discarding) sees the peer close.
      this.turns.delete(connection);
      readOn(connection.socket);
      if (connection.busy === 0) connection.socket.end();
    }
    await Promise.all(closed);
    for (const path of this.unixPaths) {
      try {
        unlinkSync(path);
      } catch {
        // Already gone: nothing to clean.
      }
    }
  }

  private createServer(checkPeer: boolean): net.Server {
    // No read-ahead: a socket not being read holds nothing here (see stopReading).
    const server = net.createServer({ noDelay: true, highWaterMark: 0 }, (socket) => this.accept(socket, checkPeer));
    server.on('error', (error) => this.options.log.error(`policy server: ${error.message}`));
    this.servers.push(server);
    return server;
  }

  private answer(attributes: PolicyAttributes, peer: string): string | Promise<string> {
    const request = readPolicyRequest(attributes);
    if (request) return this.options.answer(request);
    const type = attributes.get('request') ?? '(none)';
    this.throttle.warn(`type ${type}`, `answered DUNNO to a request of unknown type "${type.slice(0, 80)}" from ${peer}`);
    return 'DUNNO';
  }

  private allowedNetworks(): Network[] {
    const texts = this.options.allowedClients();
    if (texts !== this.allowed.texts) this.allowed = { texts, networks: texts.map((text) => parseNetwork(text)) };
    return this.allowed.networks;
  }

  private accept(socket: net.Socket, checkPeer: boolean): void {
    const peer = socket.remoteAddress ?? 'local socket';
    if (checkPeer && !this.allowedNetworks().some((network) => networkContains(network, peer))) {
      this.throttle.warn(`refused ${peer}`, `refused connection from ${peer}: not in allowedClients (${this.allowed.texts.join(' ')})`);
      socket.destroy();
      return;
    }
    const max = this.options.maxConnections ?? 1000;
    if (this.connections.size >= max && !this.closeLongestIdle(peer, max)) {
      this.throttle.warn('too many', `refused connection from ${peer}: already ${max} connections open, every one deciding`);
      socket.destroy();
      return;
    }
    const connection: Connection = { socket, peer, parser: new PolicyRequestParser(this.limits), busy: 0, unsent: 0, answers: Promise.resolve(), requestTimer: undefined, closing: false };
    this.connections.add(connection);
    socket.setTimeout(this.options.idleTimeoutMs ?? 600_000);
    // Idle: no byte read or written for the idle timeout. A peer that stopped reading its answers is cut off too.
    socket.on('timeout', () => (connection.unsent > 0 ? this.drop(connection, 'answers not read within the idle timeout') : socket.end()));
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      clearTimeout(connection.requestTimer);
      this.connections.delete(connection);
      this.turns.delete(connection);
    });
    socket.on('data', (chunk: Buffer) => {
      // Read at once: a client that waits for each answer. Any more read with it wait for their turn.
      if (this.serve(connection, chunk, 1)) this.turns.add(connection);
    });
  }

  private drop(connection: Connection, why: string): void {
    this.throttle.warn(`drop ${why}`, `closed connection from ${connection.peer} without an answer: ${why}`);
    connection.socket.destroy();
  }

  /**
   * Answers up to max of the requests read on a connection. True when more are read and waiting,
   * and the connection may have another slice now: it is not read meanwhile, so that what it
   * sent waits in the system's buffers, not in memory here.
   */
  private serve(connection: Connection, chunk: Buffer, max: number): boolean {
    const { socket, parser } = connection;
    if (socket.destroyed || connection.closing || (chunk === NOTHING && !this.mayHaveSlice(connection))) return false;
    let requests: PolicyAttributes[];
    try {
      requests = parser.push(chunk, max);
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      this.drop(connection, error.message);
      return false;
    }
    if (requests.length > 0) {
      clearTimeout(connection.requestTimer);
      connection.requestTimer = undefined;
      // Most recently used last: the connections at the front are the longest idle.
      this.connections.delete(connection);
      this.connections.add(connection);
    }
    // While requests read wait for their turn, the delay is the filter's: the deadline runs once they are answered.
    if (parser.midRequest && !parser.hasLeftOver && !connection.requestTimer) {
      const requestMs = this.options.requestTimeoutMs ?? 30_000;
      connection.requestTimer = setTimeout(() => this.drop(connection, `request not finished within ${requestMs / 1000} s`), requestMs).unref();
    }
    connection.unsent += requests.length;
    // Answers ready at once go out together, in order, in one write; the rest follow in order as they come.
    let ready = '';
    let readyCount = 0;
    for (const attributes of requests) {
      const reply = this.answer(attributes, connection.peer);
      if (typeof reply === 'string' && connection.busy === 0) {
        ready += formatReply(reply);
        readyCount++;
        continue;
      }
      if (ready) this.send(connection, ready, readyCount);
      ready = '';
      readyCount = 0;
      connection.busy++;
      connection.answers = connection.answers
        .then(() => reply)
        .then((action) => {
          if (!socket.destroyed) this.send(connection, formatReply(action), 1);
        })
        .finally(() => {
          if (--connection.busy > 0) return;
          if (connection.closing) socket.end();
          else this.proceed(connection);
        });
    }
    if (ready) this.send(connection, ready, readyCount);
    if (parser.hasLeftOver || connection.unsent > this.maxUnsent) stopReading(socket);
    else if (socket.isPaused()) readOn(socket);
    return parser.hasLeftOver && this.mayHaveSlice(connection);
  }

  /**
   * A connection with requests waiting gets its next slice once the answers of the last one are
   * decided: answers the store gives later queue in one line for every connection, and a client
   * that sends thousands at once must not fill it.
   */
  private mayHaveSlice(connection: Connection): boolean {
    return connection.busy === 0 && connection.unsent <= this.maxUnsent;
  }

  /** Reads on, or queues the next slice, once a connection's answers make room. */
  private proceed(connection: Connection): void {
    const { socket, parser } = connection;
    if (socket.destroyed || connection.closing || connection.unsent > this.maxUnsent) return;
    if (!parser.hasLeftOver) {
      if (socket.isPaused()) readOn(socket);
    } else if (this.mayHaveSlice(connection)) {
      this.turns.add(connection);
    }
  }

  private send(connection: Connection, text: string, count: number): void {
    const { socket } = connection;
    socket.write(text, () => {
      connection.unsent -= count;
      this.proceed(connection);
    });
  }

  /** Closes the connection idle the longest (none of its answers being decided); false when there is none. */
  private closeLongestIdle(peer: string, max: number): boolean {
    for (const connection of this.connections) {
      if (connection.busy > 0 || connection.socket.destroyed) continue;
      this.throttle.warn('make room', `closed the longest-idle connection from ${connection.socket.remoteAddress ?? 'local socket'}: already ${max} connections open (new one from ${peer})`);
      connection.socket.destroy();
      this.connections.delete(connection);
      return true;
    }
    return false;
  }
}
