import { counted } from '../../../shared/plural.js';
import { ErrorNotice } from '../../components/ErrorNotice.js';
import { SaveOutcome } from './SaveOutcome.js';
import type { useSettingsForm } from './use-settings-form.js';

export function SaveBar({ form }: { form: ReturnType<typeof useSettingsForm> }) {
  return (
    <div className="save-bar" role="region" aria-label="Save changes">
      {form.saveError && <ErrorNotice error={form.saveError} title="Not saved" />}
      <SaveOutcome />
      <div className="save-bar-row">
        <span className="muted">
          {form.invalid ? 'Fix the fields marked in red to save.' : form.changedCount ? counted(form.changedCount, 'unsaved change') : 'No unsaved changes'}
        </span>
        <button type="button" className="button" disabled={form.changedCount === 0 || form.saving} onClick={form.discard}>
          Discard
        </button>
        <button type="button" className="button button-primary" disabled={form.changedCount === 0 || form.invalid || form.saving} onClick={() => void form.submit()}>
          {form.saving ? 'Saving…' : 'Save'}
        </button>
      </div>
    </div>
  );
}
