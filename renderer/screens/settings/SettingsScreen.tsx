import type { SettingKey } from '../../../shared/settings.js';
import { ScreenHeader } from '../../app/ScreenHeader.js';
import { CopyBlock } from '../../components/CopyBlock.js';
import { useApp } from '../../store/store.js';
import { SettingsGate, SettingsProblems } from '../policy/PolicyScreen.js';
import { SaveBar } from '../policy/SaveBar.js';
import { SettingField } from '../policy/SettingField.js';
import { useSettingsForm } from '../policy/use-settings-form.js';
import { postfixSnippet } from './postfix-snippet.js';
import { SavedConnections } from './SavedConnections.js';

const CONNECTION_KEYS: SettingKey[] = ['listen', 'socket', 'allowedClients'];
const OPERATION_KEYS: SettingKey[] = ['failMode', 'logRetention'];

function PostfixSetup() {
  const values = useApp((state) => state.settings.values);
  const endpoints = useApp((state) => state.filter.status?.endpoints);
  if (!values) return null;
  const snippet = postfixSnippet(values, endpoints);
  return (
    <section className="card">
      <h2>Postfix set-up</h2>
      <p className="muted">These lines in main.cf make Postfix ask this filter about every recipient.</p>
      {snippet.text && <CopyBlock text={snippet.text} label="main.cf lines for Postfix" />}
      <ul className="notes">
        {snippet.notes.map((note) => (
          <li key={note}>{note}</li>
        ))}
      </ul>
    </section>
  );
}

function DatabaseLocation() {
  const path = useApp((state) => state.settings.databasePath);
  if (!path) return null;
  return (
    <section className="card settings-group">
      <h2>Database</h2>
      <p>
        <code>{path}</code>
      </p>
      <p className="muted">
        {path.startsWith('postgres')
          ? "A PostgreSQL database the mail hosts' filters share; these screens edit it for all of them."
          : 'The filter and these screens share this SQLite file. Start Greyward with another --db to use another one.'}
      </p>
    </section>
  );
}

function SettingsForm() {
  const form = useSettingsForm([...CONNECTION_KEYS, ...OPERATION_KEYS]);
  const field = (key: SettingKey) => {
    const draft = form.drafts.find((candidate) => candidate.key === key)!;
    return <SettingField key={key} draft={draft} onChange={(text) => form.edit(key, text)} />;
  };
  return (
    <>
      <SettingsProblems />
      <section className="card settings-group">
        <h2>Where the filter listens</h2>
        {CONNECTION_KEYS.map(field)}
      </section>
      <section className="card settings-group">
        <h2>Operation</h2>
        {OPERATION_KEYS.map(field)}
      </section>
      <SaveBar form={form} />
      <DatabaseLocation />
      <SavedConnections />
      <PostfixSetup />
    </>
  );
}

export function SettingsScreen() {
  return (
    <>
      <ScreenHeader title="Settings" subtitle="Where the filter listens, how it fails, and how to point Postfix at it." />
      <SettingsGate what="settings">
        <SettingsForm />
      </SettingsGate>
    </>
  );
}
