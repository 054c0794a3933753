import { useEffect, useState, type FormEvent } from 'react';
import type { ImpactReport } from '../../../shared/contract.js';
import { REPLAYABLE_SETTINGS, type ReplayableSetting, type ReplayableSettings } from '../../../shared/insight-contract.js';
import { formatSetting, parseSettingText, SETTINGS } from '../../../shared/settings.js';
import { ScreenHeader } from '../../app/ScreenHeader.js';
import { ConfirmDialog } from '../../components/ConfirmDialog.js';
import { ErrorNotice } from '../../components/ErrorNotice.js';
import { Empty, Loading } from '../../components/StatusMessage.js';
import { describeDuration, formatCount } from '../../format/time.js';
import type { Period } from '../../store/insight-slice.js';
import { useApp } from '../../store/store.js';
import { SettingsGate } from '../policy/PolicyScreen.js';
import { ENUM_CHOICES, SETTING_LABELS, UNIT_HINTS } from '../policy/setting-labels.js';
import { PERIODS, parsePeriod } from '../../insight/periods.js';
import { compareImpact, describeTiming, headline } from './impact-compare.js';

const TIMING: ReplayableSetting[] = ['delay', 'retryWindow'];
const DECIDING: ReplayableSetting[] = ['clientPrefixV4', 'clientPrefixV6', 'autoAllowAfter', 'autoAllowBy', 'mode'];
const HINTS: Partial<Record<ReplayableSetting, string>> = { delay: 'e.g. 3s, 1m, 5m', retryWindow: 'e.g. 12h, 2d' };

type Parsed = { value?: unknown; error?: string };

function read(key: ReplayableSetting, text: string): Parsed {
  try {
    return { value: parseSettingText(key, text) };
  } catch (error) {
    return { error: (error as Error).message.replace(`${key}: `, '') };
  }
}

/** One proposed setting, typed as on the Policy screen: a duration with its reading, a number, or a choice. */
function ProposedField({ name, text, onChange, parsed }: { name: ReplayableSetting; text: string; onChange: (text: string) => void; parsed: Parsed }) {
  const id = `impact-${name}`;
  const choices = ENUM_CHOICES[name];
  const duration = SETTINGS[name].unit === 'duration';
  const help = parsed.error ?? (duration && typeof parsed.value === 'number' ? `= ${describeDuration(parsed.value)} · ${HINTS[name]}` : UNIT_HINTS[name]);
  return (
    <div className="field">
      <label htmlFor={id}>{SETTING_LABELS[name]}</label>
      {choices ? (
        <select id={id} className="input" value={text} onChange={(event) => onChange(event.target.value)}>
          {choices.map((choice) => (
            <option key={choice.value} value={choice.value}>
              {choice.label}
            </option>
          ))}
        </select>
      ) : (
        <input id={id} className="input mono input-short" value={text} spellCheck={false} aria-invalid={!!parsed.error} aria-describedby={`${id}-help`} onChange={(event) => onChange(event.target.value)} />
      )}
      {help && (
        <div id={`${id}-help`} className={parsed.error ? 'field-error' : 'field-help'}>
          {help}
        </div>
      )}
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
              <div className="muted small">{describeTiming(report.current.settings, report.proposed.settings)}</div>
            </th>
            <th scope="col" className="numeric">
              Proposed
              <div className="muted small">{describeTiming(report.proposed.settings, report.current.settings)}</div>
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
        Replayed {formatCount(report.attempts)} recorded attempts: {formatCount(report.mails)} {report.mails === 1 ? 'mail' : 'mails'} (a sender and recipient,
        from whichever client) in {formatCount(report.elapsedMs)} ms, through the lists as they were. A sender is taken to have given up after 5 days; one silent
        for less than 2 hours may still come back (pending). Where a setting would still defer a mail that got through, its sender is assumed to retry at its
        last interval. Auto-allow counts passes from the start of the replayed period.
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
  const [texts, setTexts] = useState(() => Object.fromEntries(REPLAYABLE_SETTINGS.map((key) => [key, formatSetting(key, values[key] as never)])) as Record<ReplayableSetting, string>);
  const [period, setPeriod] = useState<Period>('all');
  const [applying, setApplying] = useState(false);
  const parsed = Object.fromEntries(REPLAYABLE_SETTINGS.map((key) => [key, read(key, texts[key])])) as Record<ReplayableSetting, Parsed>;
  const valid = REPLAYABLE_SETTINGS.every((key) => parsed[key].value !== undefined);
  const proposal = Object.fromEntries(REPLAYABLE_SETTINGS.map((key) => [key, parsed[key].value])) as ReplayableSettings;
  const report = impact.data;
  const proposed = report?.proposed.settings;
  const differs = (settings: Record<string, unknown>, other: Record<string, unknown>) => REPLAYABLE_SETTINGS.some((key) => settings[key] !== other[key]);
  const stale = !!proposed && valid && differs(proposed, proposal);
  const sameAsNow = valid && !differs(proposal, values);
  const changes = proposed ? Object.fromEntries(REPLAYABLE_SETTINGS.filter((key) => proposed[key] !== values[key]).map((key) => [key, proposed[key]])) : {};
  const field = (key: ReplayableSetting) => (
    <ProposedField key={key} name={key} text={texts[key]} parsed={parsed[key]} onChange={(text) => setTexts((all) => ({ ...all, [key]: text }))} />
  );

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (valid) void run(proposal, period);
  };

  return (
    <>
      <form className="card impact-form" onSubmit={submit} aria-label="Proposed settings">
        <h2>Proposed settings</h2>
        <p className="muted">Each starts at its value now. The replay decides with these; the lists and the other settings are kept as they are.</p>
        <div className="impact-fields">{TIMING.map(field)}</div>
        <div className="impact-fields">{DECIDING.map(field)}</div>
        <div className="impact-fields">
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
            <button type="button" className="button" disabled={!proposed || impact.loading || Object.keys(changes).length === 0} onClick={() => setApplying(true)}>
              Apply the proposed settings…
            </button>
          )}
        </div>
        {impact.error && <ErrorNotice error={impact.error} title="The replay failed" onRetry={() => valid && void run(proposal, period)} />}
        {impact.loading && <Loading what={report ? 'the new replay' : 'the replay of the attempt log'} />}
        {stale && !impact.loading && <div className="notice notice-info">These figures are for {describeTiming(proposed!, report!.current.settings)}. Press Replay for the values above.</div>}
        {report ? (
          <div className={impact.loading ? 'impact-results is-stale' : 'impact-results'}>
            <Results report={report} />
          </div>
        ) : (
          !impact.loading &&
          !impact.error && (
            <Empty title="Nothing replayed yet">
              {sameAsNow ? 'Change a setting above, then press Replay.' : 'Press Replay to see what the proposal would have done to the recorded mail.'}
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
            const failure = await save(changes);
            if (failure) return failure;
            notify({ tone: 'success', text: `Saved ${describeTiming(proposed, report!.current.settings)}. The filter applies it within a second.` });
            return undefined;
          }}
        >
          <p>
            The filter uses <strong className="mono">{describeTiming(proposed, report!.current.settings)}</strong> from now on, instead of{' '}
            {describeTiming(report!.current.settings, proposed)}. Triplets already waiting are judged by the new values at their next retry.
          </p>
        </ConfirmDialog>
      )}
    </>
  );
}

export function ImpactScreen() {
  const prepare = useApp((state) => state.insight.prepareImpact);
  // The first replay reads the whole log: it is copied while the proposal is being written.
  useEffect(() => prepare(), [prepare]);
  return (
    <>
      <ScreenHeader
        title="Impact preview"
        subtitle="Before changing how greylisting decides (delay, retry window, client grouping, auto-allow, who is greylisted), replay the recorded attempts under the current and the proposed values, side by side."
      />
      <SettingsGate what="current settings">
        <ImpactForm />
      </SettingsGate>
    </>
  );
}
