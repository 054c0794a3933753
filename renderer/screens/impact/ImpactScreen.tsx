import { useState, type FormEvent } from 'react';
import type { ImpactReport } from '../../../shared/contract.js';
import { formatDuration } from '../../../shared/duration.js';
import { parseSettingText } from '../../../shared/settings.js';
import { ScreenHeader } from '../../app/ScreenHeader.js';
import { ConfirmDialog } from '../../components/ConfirmDialog.js';
import { ErrorNotice } from '../../components/ErrorNotice.js';
import { Empty, Loading } from '../../components/StatusMessage.js';
import { describeDuration, formatCount } from '../../format/time.js';
import type { Period } from '../../store/insight-slice.js';
import { useApp } from '../../store/store.js';
import { SettingsGate } from '../policy/PolicyScreen.js';
import { PERIODS, parsePeriod } from '../../insight/periods.js';
import { compareImpact, describeTiming, headline } from './impact-compare.js';

type Field = 'delay' | 'retryWindow';

function read(field: Field, text: string): { value?: number; error?: string } {
  try {
    return { value: parseSettingText(field, text) as number };
  } catch (error) {
    return { error: (error as Error).message.replace(`${field}: `, '') };
  }
}

function DurationField(props: { id: string; label: string; text: string; onChange: (text: string) => void; parsed: { value?: number; error?: string }; hint: string }) {
  const { id, label, text, onChange, hint } = props;
  const { value, error } = props.parsed;
  const reading = value === undefined ? '' : `= ${describeDuration(value)}`;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input id={id} className="input mono input-short" value={text} spellCheck={false} aria-invalid={!!error} aria-describedby={`${id}-help`} onChange={(event) => onChange(event.target.value)} />
      <div id={`${id}-help`} className={error ? 'field-error' : 'field-help'}>
        {error ?? `${reading} · ${hint}`}
      </div>
    </div>
  );
}

function Results({ report }: { report: ImpactReport }) {
  const rows = compareImpact(report);
  return (
    <>
      <p className="impact-headline">{headline(report)}</p>
      <table className="table impact-table" aria-label="Current and proposed settings replayed">
        <thead>
          <tr>
            <th scope="col">Replayed outcome</th>
            <th scope="col" className="numeric">
              Current
              <div className="muted small">{describeTiming(report.current.settings)}</div>
            </th>
            <th scope="col" className="numeric">
              Proposed
              <div className="muted small">{describeTiming(report.proposed.settings)}</div>
            </th>
            <th scope="col" className="numeric">
              Change
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.key} className={`impact-row impact-${row.verdict}`}>
              <th scope="row">
                {row.label}
                <div className="muted small">{row.help}</div>
              </th>
              <td className="numeric impact-value">{row.current}</td>
              <td className="numeric impact-value">{row.proposed}</td>
              <td className="numeric impact-change">
                {row.change}
                {row.verdict === 'better' && <span className="visually-hidden"> (better)</span>}
                {row.verdict === 'worse' && <span className="visually-hidden"> (worse)</span>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="muted small">
        Replayed {formatCount(report.attempts)} recorded attempts: {formatCount(report.mails)} greylisted {report.mails === 1 ? 'mail' : 'mails'}, and{' '}
        {formatCount(report.knownPasses)} on triplets that had passed before (not delayed under either setting), in {formatCount(report.elapsedMs)} ms. A
        sender is taken to have given up after 5 days; one silent for less than 2 hours may still come back (pending). Under a longer delay, the retries a
        sender made after it passed are assumed to continue at its last interval.
      </p>
    </>
  );
}

function ImpactForm() {
  const values = useApp((state) => state.settings.values)!;
  const impact = useApp((state) => state.insight.impact);
  const run = useApp((state) => state.insight.runImpact);
  const save = useApp((state) => state.settings.save);
  const notify = useApp((state) => state.ui.notify);
  const [delayText, setDelayText] = useState(formatDuration(values.delay));
  const [windowText, setWindowText] = useState(formatDuration(values.retryWindow));
  const [period, setPeriod] = useState<Period>('all');
  const [applying, setApplying] = useState(false);
  const delay = read('delay', delayText);
  const retryWindow = read('retryWindow', windowText);
  const valid = delay.value !== undefined && retryWindow.value !== undefined;
  const report = impact.data;
  const proposed = report?.proposed.settings;
  const stale = !!proposed && valid && (proposed.delay !== delay.value || proposed.retryWindow !== retryWindow.value);
  const sameAsNow = valid && delay.value === values.delay && retryWindow.value === values.retryWindow;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (valid) void run({ delay: delay.value!, retryWindow: retryWindow.value! }, period);
  };

  return (
    <>
      <form className="card impact-form" onSubmit={submit} aria-label="Proposed settings">
        <h2>Proposed settings</h2>
        <p className="muted">
          Now: delay <strong className="mono">{formatDuration(values.delay)}</strong>, retry window <strong className="mono">{formatDuration(values.retryWindow)}</strong>. The
          replay answers for these two; the other settings are kept as they are.
        </p>
        <div className="impact-fields">
          <DurationField id="impact-delay" label="Delay before a retry passes" text={delayText} onChange={setDelayText} parsed={delay} hint="e.g. 3s, 1m, 5m" />
          <DurationField id="impact-window" label="Retry window" text={windowText} onChange={setWindowText} parsed={retryWindow} hint="e.g. 12h, 2d" />
          <div className="field">
            <label htmlFor="impact-period">Replay</label>
            <select id="impact-period" className="input" value={String(period)} onChange={(event) => setPeriod(parsePeriod(event.target.value))}>
              {PERIODS.map((p) => (
                <option key={String(p.value)} value={String(p.value)}>
                  {p.label}
                </option>
              ))}
            </select>
          </div>
          <div className="field impact-run">
            <button type="submit" className="button button-primary" disabled={!valid || impact.loading}>
              {impact.loading ? 'Replaying…' : 'Replay'}
            </button>
          </div>
        </div>
      </form>
      <section className="card" aria-label="Impact" aria-busy={impact.loading}>
        <div className="card-title-row">
          <h2>Current beside proposed</h2>
          {report && (
            <button type="button" className="button" disabled={!proposed || impact.loading || (proposed.delay === values.delay && proposed.retryWindow === values.retryWindow)} onClick={() => setApplying(true)}>
              Apply the proposed settings…
            </button>
          )}
        </div>
        {impact.error && <ErrorNotice error={impact.error} title="The replay failed" onRetry={() => valid && void run({ delay: delay.value!, retryWindow: retryWindow.value! }, period)} />}
        {impact.loading && <Loading what={report ? 'the new replay' : 'the replay of the attempt log'} />}
        {stale && !impact.loading && <div className="notice notice-info">These figures are for {describeTiming(proposed!)}. Press Replay for the values above.</div>}
        {report ? (
          <div className={impact.loading ? 'impact-results is-stale' : 'impact-results'}>
            <Results report={report} />
          </div>
        ) : (
          !impact.loading &&
          !impact.error && (
            <Empty title="Nothing replayed yet">
              {sameAsNow ? 'Change the delay or the retry window, then press Replay.' : 'Press Replay to see what the proposal would have done to the recorded mail.'}
            </Empty>
          )
        )}
      </section>
      {applying && proposed && (
        <ConfirmDialog
          title="Apply the proposed settings?"
          confirmLabel="Save and apply"
          onClose={() => setApplying(false)}
          onConfirm={async () => {
            const failure = await save({ delay: proposed.delay, retryWindow: proposed.retryWindow });
            if (failure) return failure;
            notify({ tone: 'success', text: `Saved ${describeTiming(proposed)}. The filter applies it within a second.` });
            return undefined;
          }}
        >
          <p>
            The filter uses <strong className="mono">{describeTiming(proposed)}</strong> from now on, instead of {describeTiming(report!.current.settings)}. Triplets already waiting are
            judged by the new values at their next retry.
          </p>
        </ConfirmDialog>
      )}
    </>
  );
}

export function ImpactScreen() {
  return (
    <>
      <ScreenHeader
        title="Impact preview"
        subtitle="Before changing the delay or the retry window, replay the recorded attempts under the current and the proposed values, side by side."
      />
      <SettingsGate what="current settings">
        <ImpactForm />
      </SettingsGate>
    </>
  );
}
