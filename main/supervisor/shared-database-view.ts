import type { FilterStatus } from '../../shared/contract.js';
import { UserError } from '../api/dispatch.js';
import type { SupervisorView } from '../api/admin-session.js';

/**
 * The filter status of a window onto a shared database: its filters run on the mail hosts, each
 * under its own supervisor (systemd), and none is started here. The Overview lists them from
 * their heartbeats in the database.
 */
export function sharedDatabaseView(version: string): SupervisorView {
  const status: FilterStatus = {
    state: 'shared',
    pid: null,
    endpoints: {},
    startedAt: null,
    version,
    restarts: 0,
    message: 'a shared database: its filters run on the mail hosts (listed below); none is started here',
  };
  return {
    status: () => status,
    restart: async () => {
      throw new UserError('the filters of a shared database run on the mail hosts: restart one where it runs (for example systemctl restart greyward-filter)');
    },
    onStatus: () => () => undefined,
  };
}
