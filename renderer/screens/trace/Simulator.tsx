import { useState, type FormEvent } from 'react';
import { CopyBlock } from '../../components/CopyBlock.js';
import { ErrorNotice } from '../../components/ErrorNotice.js';
import { describeReason } from '../../format/reasons.js';
import { useApp } from '../../store/store.js';
import { checkCommand, checkSimulator, decisionSentence, simulatorRequest, type SimulatorForm } from './trace-logic.js';

const FIELDS: Array<{ key: keyof SimulatorForm; label: string; placeholder: string; note?: string }> = [
  { key: 'clientAddress', label: 'Client address', placeholder: '192.0.2.7' },
  { key: 'clientName', label: 'Client name', placeholder: 'mail.example.com', note: 'verified; empty: unknown' },
  { key: 'sender', label: 'Sender', placeholder: 'alice@example.com', note: 'empty: a bounce' },
  { key: 'recipient', label: 'Recipient', placeholder: 'bob@example.net' },
];

/** What the filter would answer now, and why: check.explain, the answer `greyward check` gives. */
export function Simulator() {
  const form = useApp((state) => state.insight.simulatorForm);
  const setForm = useApp((state) => state.insight.setSimulatorForm);
  const simulate = useApp((state) => state.insight.simulate);
  const simulation = useApp((state) => state.insight.simulation);
  const simulatedFor = useApp((state) => state.insight.simulatedFor);
  const [tried, setTried] = useState(false);
  const errors = checkSimulator(form);
  const valid = Object.keys(errors).length === 0;
  const result = simulation.data;
  const changedSince = !!simulatedFor && JSON.stringify(simulatorRequest(form)) !== JSON.stringify(simulatedFor);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setTried(true);
    if (valid) void simulate(simulatorRequest(form));
  };

  return (
    <section className="card simulator" aria-label="Simulator">
      <h2>Simulator</h2>
      <p className="muted small">What the filter answers now for one recipient, and why. Nothing is recorded or changed. Pick an attempt among the results to fill it in.</p>
      <form onSubmit={submit} noValidate>
        {FIELDS.map((field) => {
          const id = `simulate-${field.key}`;
          const error = tried ? errors[field.key] : undefined;
          return (
            <div className="field" key={field.key}>
              <label htmlFor={id}>
                {field.label}
                {field.note && <span className="muted"> ({field.note})</span>}
              </label>
              <input
                id={id}
                className="input mono"
                value={form[field.key]}
                placeholder={field.placeholder}
                spellCheck={false}
                aria-invalid={!!error}
                aria-describedby={error ? `${id}-help` : undefined}
                onChange={(event) => setForm({ [field.key]: event.target.value })}
              />
              {error && (
                <div id={`${id}-help`} className="field-error">
                  {error}
                </div>
              )}
            </div>
          );
        })}
        <button type="submit" className="button button-primary" disabled={simulation.loading || (tried && !valid)}>
          {simulation.loading ? 'Asking…' : 'Ask the filter'}
        </button>
      </form>
      {simulation.error && <ErrorNotice error={simulation.error} title="The filter could not answer" />}
      {result && simulatedFor && (
        <div className={changedSince ? 'simulation is-stale' : 'simulation'} aria-live="polite" aria-label="Decision now">
          <h3>Decision now{changedSince ? ' (for the previous values)' : ''}</h3>
          <p className="simulation-verdict">
            <span className={`pill pill-action-${result.action}`}>{result.action}</span> {decisionSentence(result)}
          </p>
          <dl className="facts">
            <dt>Why</dt>
            <dd>{describeReason(result.reason)}</dd>
            <dt>Rule or state</dt>
            <dd className="mono small">{result.rule || '—'}</dd>
            <dt>Postfix is told</dt>
            <dd className="mono small">{result.reply}</dd>
          </dl>
          <p className="muted small">The same question on the mail server:</p>
          <CopyBlock text={checkCommand(simulatedFor)} label="greyward check command line" />
        </div>
      )}
    </section>
  );
}
