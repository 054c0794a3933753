import { useEffect, useState, type FormEvent } from 'react';
import { ErrorNotice } from '../../components/ErrorNotice.js';
import type { ApiError } from '../../store/remote.js';
import { useApp } from '../../store/store.js';

/** The desktop app's saved shared databases: open one in place of the local file, add or remove one. */
export function SavedConnections() {
  const offered = useApp((state) => state.connections.offered);
  const connections = useApp((state) => state.connections.connections);
  const current = useApp((state) => state.connections.current);
  const canStorePasswords = useApp((state) => state.connections.canStorePasswords);
  const load = useApp((state) => state.connections.load);
  const save = useApp((state) => state.connections.save);
  const remove = useApp((state) => state.connections.remove);
  const open = useApp((state) => state.connections.open);
  const [name, setName] = useState('');
  const [url, setUrl] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<ApiError | undefined>();
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    void load();
  }, [load]);
  if (!offered) return null;

  const run = async (work: () => Promise<ApiError | undefined>) => {
    setBusy(true);
    const failure = await work();
    setBusy(false);
    setError(failure);
    return failure;
  };
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!(await run(() => save(name, url, password)))) {
      setName('');
      setUrl('');
      setPassword('');
    }
  };

  return (
    <section className="card settings-group" aria-labelledby="saved-connections-title">
      <h2 id="saved-connections-title">Shared databases</h2>
      <p className="muted">
        A greylist several mail hosts share on PostgreSQL. Opening one starts Greyward again on it, without a filter of its own. Passwords are
        kept encrypted with this system&apos;s key{canStorePasswords ? '' : ', which this system does not offer: leave the password out and put it in ~/.pgpass'}.
      </p>
      {connections.length > 0 && (
        <table className="table" aria-label="Saved shared databases">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Address</th>
              <th scope="col">Password</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {connections.map((connection) => (
              <tr key={connection.name}>
                <td>{connection.name}</td>
                <td className="mono">{connection.url}</td>
                <td>{connection.hasPassword ? 'saved, encrypted' : 'from ~/.pgpass'}</td>
                <td className="row-actions">
                  {connection.name === current ? (
                    <span className="muted">open now</span>
                  ) : (
                    <>
                      <button type="button" className="button button-small" disabled={busy} onClick={() => void run(() => open(connection.name))}>
                        Open
                      </button>
                      <button type="button" className="button button-small" disabled={busy} onClick={() => void run(() => remove(connection.name))}>
                        Remove
                      </button>
                    </>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {current !== null && (
        <button type="button" className="button" disabled={busy} onClick={() => void run(() => open(null))}>
          Open the local database file again
        </button>
      )}
      <form className="add-form" onSubmit={(event) => void submit(event)} aria-label="Save a shared database">
        <div className="add-form-row">
          <div className="field">
            <label htmlFor="connection-name">Name</label>
            <input id="connection-name" className="input" value={name} maxLength={64} placeholder="mail cluster" onChange={(event) => setName(event.target.value)} />
          </div>
          <div className="field field-grow">
            <label htmlFor="connection-url">URL</label>
            <input
              id="connection-url"
              className="input mono"
              value={url}
              placeholder="postgres://greyward@db.example.net:5432/greyward?sslmode=verify-full"
              onChange={(event) => setUrl(event.target.value)}
            />
          </div>
          <div className="field">
            <label htmlFor="connection-password">Password</label>
            <input id="connection-password" className="input" type="password" autoComplete="off" value={password} onChange={(event) => setPassword(event.target.value)} />
          </div>
          <button type="submit" className="button button-primary" disabled={!name.trim() || !url.trim() || busy}>
            Save
          </button>
        </div>
      </form>
      {error && <ErrorNotice error={error} title="Not done" />}
    </section>
  );
}
