import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { dispatch } from '../api/dispatch.js';
import { connectionHandlers } from '../api/connection-handlers.js';
import { SavedConnections, type Secrets } from './saved-connections.js';

// Electron's safeStorage cannot run here: a reversible stand-in with the same contract (bytes out, text back).
const keyring: Secrets = {
  available: () => true,
  encrypt: (text) => Buffer.from([...Buffer.from(text, 'utf8')].map((byte) => byte ^ 0x5a)),
  decrypt: (data) => Buffer.from([...data].map((byte) => byte ^ 0x5a)).toString('utf8'),
};
const noKeyring: Secrets = { ...keyring, available: () => false };

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
const file = () => {
  const dir = mkdtempSync(join(tmpdir(), 'greyward-connections-'));
  dirs.push(dir);
  return join(dir, 'app', 'connections.json');
};

describe('saved connections', () => {
  it('keep the URL without its password, the password encrypted, in a file only the user can read', () => {
    const path = file();
    const saved = new SavedConnections(path, keyring);
    expect(saved.save('mail cluster', 'postgres://greyward:s3cr%40t@db.example.net:5432/greyward?sslmode=verify-full')).toEqual({
      name: 'mail cluster',
      url: 'postgres://greyward@db.example.net:5432/greyward?sslmode=verify-full',
      hasPassword: true,
    });
    expect(readFileSync(path, 'utf8')).not.toMatch(/s3cr/);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(new SavedConnections(path, keyring).urlOf('mail cluster')).toBe('postgres://greyward:s3cr%40t@db.example.net:5432/greyward?sslmode=verify-full');
    // A password given apart, and a connection saved again under its name, replaces it.
    saved.save('mail cluster', 'postgres://admin@db2.example.net/greyward', 'other');
    expect(saved.list()).toEqual([{ name: 'mail cluster', url: 'postgres://admin@db2.example.net/greyward', hasPassword: true }]);
    expect(saved.urlOf('mail cluster')).toBe('postgres://admin:other@db2.example.net/greyward');
  });

  it('refuse a password without the system key, saying where it goes instead, and keep a connection without one', () => {
    const saved = new SavedConnections(file(), noKeyring);
    expect(() => saved.save('dc1', 'postgres://greyward:pw@db.example.net/greyward')).toThrow(/no key to encrypt the password .* ~\/\.pgpass/);
    expect(saved.list()).toEqual([]);
    expect(saved.save('dc1', 'postgres://greyward@db.example.net/greyward')).toMatchObject({ hasPassword: false });
    expect(saved.urlOf('dc1')).toBe('postgres://greyward@db.example.net/greyward');
  });

  it('refuse a bad name or URL with the reason, and leave a broken file as it is', () => {
    const path = file();
    const saved = new SavedConnections(path, keyring);
    expect(() => saved.save('', 'postgres://db.example.net/g')).toThrow(/not a name for a connection/);
    expect(() => saved.save('x', '/var/lib/greyward/greyward.db')).toThrow(/not a PostgreSQL URL/);
    expect(() => saved.save('x', 'postgres://db.example.net')).toThrow(/needs a host and a database/);
    saved.save('ok', 'postgres://db.example.net/g');
    writeFileSync(path, '{ broken');
    expect(() => saved.list()).toThrow(/is not a list of saved connections .*left as it is/);
    expect(readFileSync(path, 'utf8')).toBe('{ broken');
  });

  it('are offered as requests in the app, which opens one by starting again on it, and refused where there is no app', async () => {
    const saved = new SavedConnections(file(), keyring);
    const opened: Array<string | null> = [];
    const handlers = connectionHandlers({ saved, current: 'dc1', open: (name) => opened.push(name) });
    expect(await dispatch(handlers as never, 'connections.save', { name: 'dc1', url: 'postgres://g@db1.example.net/g' })).toMatchObject({ ok: true });
    expect(await dispatch(handlers as never, 'connections.save', { name: 'dc2', url: 'postgres://g:pw@db2.example.net/g' })).toMatchObject({ ok: true });
    expect(await dispatch(handlers as never, 'connections.list', {})).toEqual({
      ok: true,
      value: {
        connections: [
          { name: 'dc1', url: 'postgres://g@db1.example.net/g', hasPassword: false },
          { name: 'dc2', url: 'postgres://g@db2.example.net/g', hasPassword: true },
        ],
        current: 'dc1',
        canStorePasswords: true,
      },
    });
    expect(await dispatch(handlers as never, 'connections.remove', { name: 'dc1' })).toMatchObject({ ok: false, error: { message: '"dc1" is open: open another database first' } });
    expect(await dispatch(handlers as never, 'connections.open', { name: 'nowhere' })).toMatchObject({ ok: false, error: { message: 'there is no saved connection "nowhere"' } });
    expect(await dispatch(handlers as never, 'connections.open', { name: 'dc2' })).toEqual({ ok: true, value: { opening: true } });
    expect(await dispatch(handlers as never, 'connections.open', { name: null })).toEqual({ ok: true, value: { opening: true } });
    expect(opened).toEqual(['dc2', null]);
    const browserHost = connectionHandlers(undefined);
    expect(await dispatch(browserHost as never, 'connections.list', {})).toMatchObject({ ok: false, error: { message: expect.stringMatching(/kept by the desktop app/) } });
  });
});
