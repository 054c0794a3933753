import net from 'node:net';
import type { PolicyRequest } from '../../main/filter/policy-protocol.js';

export type Endpoint = { port: number; host?: string } | { path: string };

export const rcpt = (over: Record<string, string> = {}): Record<string, string> => ({
  request: 'smtpd_access_policy',
  protocol_state: 'RCPT',
  protocol_name: 'ESMTP',
  client_address: '192.0.2.10',
  client_name: 'mail.example.com',
  reverse_client_name: 'mail.example.com',
  helo_name: 'mail.example.com',
  sender: 'alice@example.com',
  recipient: 'bob@example.net',
  queue_id: '',
  ...over,
});

/** The same request as the filter's service reads it, for a FilterService asked in process. */
export const policyRequest = (over: Partial<PolicyRequest> = {}): PolicyRequest => ({
  protocolState: 'RCPT',
  clientAddress: '192.0.2.10',
  clientName: 'mail.example.com',
  reverseClientName: 'mail.example.com',
  helo: 'mail.example.com',
  sender: 'alice@example.com',
  recipient: 'bob@example.net',
  queueId: '',
  instance: '',
  ...over,
});

export const encodeRequest = (attributes: Record<string, string>) =>
  `${Object.entries(attributes).map(([name, value]) => `${name}=${value}`).join('\n')}\n\n`;

/** A Postfix-like client: one request at a time on a persistent connection. */
export class PolicyClient {
  private buffer = '';
  private waiting: Array<(reply: string) => void> = [];
  readonly closed: Promise<void>;

  private constructor(readonly socket: net.Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      let end: number;
      while ((end = this.buffer.indexOf('\n\n')) !== -1) {
        const reply = this.buffer.slice(0, end);
        this.buffer = this.buffer.slice(end + 2);
        this.waiting.shift()?.(reply.replace(/^action=/, ''));
      }
    });
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) => socket.on('close', () => resolve()));
  }

  static connect(endpoint: Endpoint): Promise<PolicyClient> {
    return new Promise((resolve, reject) => {
      const socket = 'path' in endpoint ? net.connect(endpoint.path) : net.connect(endpoint.port, endpoint.host ?? '127.0.0.1');
      socket.once('connect', () => resolve(new PolicyClient(socket)));
      socket.once('error', reject);
    });
  }

  /** Sends a request and resolves with the action, or rejects if the server closes without one. */
  ask(attributes: Record<string, string>): Promise<string> {
    return this.askRaw(encodeRequest(attributes));
  }

  askRaw(text: string | Buffer): Promise<string> {
    return new Promise((resolve, reject) => {
      this.waiting.push(resolve);
      this.closed.then(() => reject(new Error('connection closed without an answer')));
      this.socket.write(text);
    });
  }

  close(): void {
    this.socket.end();
  }
}

export async function askOnce(endpoint: Endpoint, attributes: Record<string, string>): Promise<string> {
  const client = await PolicyClient.connect(endpoint);
  try {
    return await client.ask(attributes);
  } finally {
    client.close();
  }
}
