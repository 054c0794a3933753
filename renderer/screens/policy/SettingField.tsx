import { parseDuration } from '../../../shared/duration.js';
import { DEFAULT_SETTINGS, SETTINGS } from '../../../shared/settings.js';
import { describeDuration } from '../../format/time.js';
import { useApp } from '../../store/store.js';
import { ENUM_CHOICES, SETTING_LABELS, UNIT_HINTS } from './setting-labels.js';
import type { SettingDraft } from './use-settings-form.js';

const REPLY_PREFIX: Partial<Record<string, string>> = { deferReply: 'DEFER_IF_PERMIT 4.7.1', denyReply: 'REJECT 5.7.1' };
const EXAMPLE = { sender: 'alice@example.com', recipient: 'bob@example.net', client: '192.0.2.10' };

/** The reply as the filter would send it for a new triplet, with the saved delay (not a fixed 300). */
function replyPreview(key: string, text: string, delay: number): string | undefined {
  const prefix = REPLY_PREFIX[key];
  if (!prefix) return undefined;
  const values: Record<string, string> = { ...EXAMPLE, seconds: String(delay), delay: String(delay) };
  return `${prefix} ${text.replace(/\{(seconds|delay|sender|recipient|client)\}/g, (_, name: string) => values[name]!)}`;
}

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

export function SettingField({ draft, onChange }: { draft: SettingDraft; onChange: (text: string) => void }) {
  const def = SETTINGS[draft.key];
  const id = `setting-${draft.key}`;
  const help = `${id}-help`;
  const delay = useApp((state) => state.settings.values?.delay ?? DEFAULT_SETTINGS.delay);
  const preview = replyPreview(draft.key, draft.text, delay);
  const reading = def.unit === 'duration' ? durationReading(draft.text) : undefined;
  return (
    <div className={draft.changed ? 'setting changed' : 'setting'}>
      <label htmlFor={id} className="setting-label">
        {SETTING_LABELS[draft.key]}
        {draft.changed && <span className="changed-mark"> (changed)</span>}
      </label>
      <div className="setting-input">
        <Input draft={draft} onChange={onChange} id={id} describedBy={help} />
        {def.unit === 'duration' && <span className="muted small">{reading ?? 'e.g. 90s, 5m, 48h, 35d'}</span>}
        {UNIT_HINTS[draft.key] && <span className="muted small">{UNIT_HINTS[draft.key]}</span>}
      </div>
      <div id={help} className="setting-help">
        {draft.error ? <div className="field-error">{draft.error}</div> : null}
        <div className="field-help">
          {def.help.charAt(0).toUpperCase() + def.help.slice(1)}.{' '}
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
        {preview && !draft.error && (
          <div className="reply-preview">
            The filter answers Postfix: <code>{preview}</code>
          </div>
        )}
      </div>
    </div>
  );
}
