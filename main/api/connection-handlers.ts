import type { SavedConnections } from '../store/saved-connections.js';
import { UserError, type Handlers } from './dispatch.js';

export type ConnectionRequestName = 'connections.list' | 'connections.save' | 'connections.remove' | 'connections.open';

/** What the desktop app offers: its saved databases, the one open, and a way to open another. */
export interface AppConnections {
  saved: SavedConnections;
  /** The saved connection open now; null for the local database file. */
  current: string | null;
  /** Starts the app again on `name` (null: the local file). */
  open(name: string | null): void;
}

const refuse = async (): Promise<never> => {
  throw new UserError('saved connections are kept by the desktop app; greyward ui opens the database its --db names');
};

/** The saved-connection requests: the app's, or a refusal that says why where there is no app. */
export function connectionHandlers(app: AppConnections | undefined): Pick<Handlers, ConnectionRequestName> {
  if (!app) return { 'connections.list': refuse, 'connections.save': refuse, 'connections.remove': refuse, 'connections.open': refuse };
  const userError = <T>(work: () => T): T => {
    try {
      return work();
    } catch (error) {
      throw new UserError((error as Error).message);
    }
  };
  return {
    'connections.list': async () => userError(() => ({ connections: app.saved.list(), current: app.current, canStorePasswords: app.saved.canStorePasswords })),
    'connections.save': async ({ name, url, password }) => userError(() => app.saved.save(name, url, password)),
    'connections.remove': async ({ name }) => {
      if (name === app.current) throw new UserError(`"${name}" is open: open another database first`);
      return userError(() => ({ removed: app.saved.remove(name) }));
    },
    'connections.open': async ({ name }) => {
      if (name !== null) userError(() => app.saved.urlOf(name));
      app.open(name);
      return { opening: true };
    },
  };
}
