import { parseDuration } from '../../../shared/duration.js';
import { SETTINGS } from '../../../shared/settings.js';
import { RESTART_SETTINGS } from '../../../shared/settings-rules.js';
import { describeDuration } from '../../format/time.js';
import { ENUM_CHOICES, SETTING_LABELS, UNIT_HINTS } from './setting-labels.js';
import type { SettingDraft } from './use-settings-form.js';

function durationReading(text: string): string | undefined {
  try {
    return `= ${describeDuration(parseDuration(text))}`;
  } catch {
    return undefined;
  }
}

function Input({ draft, onChange, id, describedBy }: { draft: SettingDraft; onChange: (text: string) => void; id: string; describedBy: string }) {
  const unit = SETTINGS[draft.key].unit;
  const common = { id, 'aria-invalid': !!draft.error, 'aria-describedby': describedBy };
  if (unit === 'boolean') {
    const on = /^(true|yes|on|1)$/i.test(draft.text.trim());
    return (
      <label className="switch">
        <input type="checkbox" {...common} checked={on} onChange={(event) => onChange(String(event.target.checked))} />
        <span>{on ? 'On' : 'Off'}</span>
      </label>
    );
  }
  const choices = ENUM_CHOICES[draft.key];
  if (choices) {
    return (
      <select className="input" {...common} value={draft.text} onChange={(event) => onChange(event.target.value)}>
        {choices.map((choice) => (
          <option key={choice.value} value={choice.value}>
            {choice.label}
          </option>
        ))}
      </select>
    );
  }
  if (unit === 'networks') {
    return <textarea className="input mono" rows={3} {...common} value={draft.text} onChange={(event) => onChange(event.target.value)} />;
  }
  const width = draft.key === 'deferReply' || draft.key === 'denyReply' ? 'input-wide' : unit === 'text' ? 'input-medium' : 'input-short';
  return <input className={`input mono ${width}`} {...common} value={draft.text} spellCheck={false} onChange={(event) => onChange(event.target.value)} />;
}

/** A saved value changed by someone else (the command line, another window) while this screen showed it. */
function ChangedElsewhere({ draft, onChange }: { draft: SettingDraft; onChange: (text: string) => void }) {
  const shown = (text: string) => <code>{text || '(empty)'}</code>;
  if (draft.draftStartedFrom !== undefined) {
    return (
      <div role="status" className="field-elsewhere notice-warning">
        The saved value changed elsewhere to {shown(draft.savedText)} while you edited (you started from {shown(draft.draftStartedFrom)}). Saving replaces it.{' '}
        <button type="button" className="button-link" onClick={() => onChange(draft.savedText)}>
          Use the saved value
        </button>
      </div>
    );
  }
  if (draft.changedElsewhereFrom === undefined) return null;
  return <div className="field-elsewhere muted">Changed elsewhere: was {shown(draft.changedElsewhereFrom)}</div>;
}

export function SettingField({ draft, onChange }: { draft: SettingDraft; onChange: (text: string) => void }) {
  const def = SETTINGS[draft.key];
  const id = `setting-${draft.key}`;
  const help = `${id}-help`;
  const reading = def.unit === 'duration' ? durationReading(draft.text) : undefined;
  return (
    <div className={draft.changed ? 'setting changed' : 'setting'}>
      <label htmlFor={id} className="setting-label">
        {SETTING_LABELS[draft.key]}
        {draft.changed && <span className="changed-mark"> (changed)</span>}
      </label>
      <div className="setting-input">
        <Input draft={draft} onChange={onChange} id={id} describedBy={help} />
        {def.unit === 'duration' && <span className="muted small">{reading ?? 'with a unit: 90s, 5m, 48h, 35d'}</span>}
        {UNIT_HINTS[draft.key] && <span className="muted small">{UNIT_HINTS[draft.key]}</span>}
      </div>
      <div id={help} className="setting-help">
        <ChangedElsewhere draft={draft} onChange={onChange} />
        {draft.error ? <div className="field-error">{draft.error}</div> : null}
        {draft.warnings.map((warning) => (
          <div key={warning} className="field-warning">
            Risky: {warning}
          </div>
        ))}
        <div className="field-help">
          {def.help.charAt(0).toUpperCase() + def.help.slice(1)}.{' '}
          {RESTART_SETTINGS.includes(draft.key) && 'Used when the filter starts: a change needs a restart. '}
          {draft.isDefault ? (
            <span className="muted">(default)</span>
          ) : (
            <>
              Default <code>{draft.defaultText || '(empty)'}</code>{' '}
              <button type="button" className="button-link" onClick={() => onChange(draft.defaultText)}>
                use default
              </button>
            </>
          )}
        </div>
        {draft.example && (
          <div className="reply-preview">
            The filter answers Postfix: <code>{draft.example}</code>
          </div>
        )}
      </div>
    </div>
  );
}
