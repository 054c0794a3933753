import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { SavedConnection } from '../../shared/contract.js';
import { describeDatabaseUrl, isDatabaseUrl } from './postgres/pg-connection.js';

/** Encrypts with a key the operating system keeps for the user (Electron's safeStorage in the app). */
export interface Secrets {
  available(): boolean;
  encrypt(text: string): Buffer;
  decrypt(data: Buffer): string;
}

interface StoredConnection {
  name: string;
  /** Without its password. */
  url: string;
  /** The password, encrypted by Secrets, base64. */
  password?: string;
}

const NAME = /^[\p{L}\p{N}][\p{L}\p{N} ._-]{0,63}$/u;

/**
 * The shared databases an administrator saved in the app: name and URL in a file of the user's
 * (mode 0600), the password never in clear: encrypted with the operating system's key, or left
 * to ~/.pgpass where there is none.
 */
export class SavedConnections {
  constructor(
    private readonly file: string,
    private readonly secrets: Secrets,
  ) {}

  private read(): StoredConnection[] {
    if (!existsSync(this.file)) return [];
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(this.file, 'utf8'));
    } catch (error) {
      throw new Error(`${this.file} is not a list of saved connections (${(error as Error).message}); it was left as it is`);
    }
    const connections = (parsed as { connections?: unknown }).connections;
    if (!Array.isArray(connections)) throw new Error(`${this.file} is not a list of saved connections; it was left as it is`);
    return connections.filter((c): c is StoredConnection => typeof c?.name === 'string' && typeof c?.url === 'string');
  }

  private write(connections: readonly StoredConnection[]): void {
    mkdirSync(dirname(this.file), { recursive: true });
    const partial = `${this.file}.new`;
    writeFileSync(partial, `${JSON.stringify({ version: 1, connections }, null, 2)}\n`, { mode: 0o600 });
    chmodSync(partial, 0o600);
    renameSync(partial, this.file);
  }

  get canStorePasswords(): boolean {
    return this.secrets.available();
  }

  list(): SavedConnection[] {
    return this.read().map((c) => ({ name: c.name, url: c.url, hasPassword: c.password !== undefined }));
  }

  /**
   * Saves (or replaces) a connection. A password in the URL or given apart is stored encrypted;
   * without the operating system's key it is refused, with the way round it.
   */
  save(name: string, url: string, password?: string): SavedConnection {
    const trimmed = name.trim();
    if (!NAME.test(trimmed)) throw new Error(`"${name}" is not a name for a connection: letters, digits, spaces, dots, dashes, at most 64`);
    if (!isDatabaseUrl(url)) throw new Error(`${describeDatabaseUrl(url)} is not a PostgreSQL URL such as postgres://greyward@db.example.net:5432/greyward`);
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new Error('the URL cannot be read: check its form, postgres://user@host:5432/database');
    }
    if (!parsed.hostname || parsed.pathname.length <= 1) throw new Error('the URL needs a host and a database: postgres://user@host:5432/database');
    const secret = password || decodeURIComponent(parsed.password) || undefined;
    parsed.password = '';
    if (secret !== undefined && !this.secrets.available()) {
      throw new Error("this system offers no key to encrypt the password with: save the connection without it and put it in ~/.pgpass");
    }
    const stored: StoredConnection = { name: trimmed, url: parsed.toString(), ...(secret !== undefined ? { password: this.secrets.encrypt(secret).toString('base64') } : {}) };
    this.write([...this.read().filter((c) => c.name !== trimmed), stored]);
    return { name: stored.name, url: stored.url, hasPassword: secret !== undefined };
  }

  remove(name: string): boolean {
    const connections = this.read();
    const kept = connections.filter((c) => c.name !== name);
    if (kept.length === connections.length) return false;
    this.write(kept);
    return true;
  }

  /** The URL to connect with, its password decrypted into it. */
  urlOf(name: string): string {
    const found = this.read().find((c) => c.name === name);
    if (!found) throw new Error(`there is no saved connection "${name}"`);
    if (found.password === undefined) return found.url;
    const url = new URL(found.url);
    url.password = encodeURIComponent(this.secrets.decrypt(Buffer.from(found.password, 'base64')));
    return url.toString();
  }
}
