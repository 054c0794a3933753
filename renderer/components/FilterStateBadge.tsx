import type { FilterStatus } from '../../shared/contract.js';

const LABELS: Record<FilterStatus['state'], string> = {
  starting: 'Starting',
  running: 'Running',
  attached: 'Attached',
  stopped: 'Stopped',
  crashed: 'Crashed',
  shared: 'Shared',
};

const MEANING: Record<FilterStatus['state'], string> = {
  starting: 'The filter is starting; Postfix gets no answers until it is ready.',
  running: 'The filter started by Greyward is answering Postfix.',
  attached: 'A filter already serving this database (e.g. the systemd daemon) is answering Postfix.',
  stopped: 'The filter is not running: Postfix applies smtpd_policy_service_default_action.',
  crashed: 'The filter crashed: Postfix applies smtpd_policy_service_default_action until it is back.',
  shared: 'A greylist several mail hosts share: their filters run on those hosts (see the Overview).',
};

export function FilterStateBadge({ status }: { status: FilterStatus | undefined }) {
  if (!status) return <span className="badge badge-unknown">Filter state unknown</span>;
  return (
    <span className={`badge badge-${status.state}`} title={status.message || MEANING[status.state]}>
      <span className="badge-dot" aria-hidden="true" />
      {status.state === 'shared' ? 'Shared greylist' : `Filter ${LABELS[status.state].toLowerCase()}`}
    </span>
  );
}

export function filterStateMeaning(status: FilterStatus): string {
  return MEANING[status.state];
}
