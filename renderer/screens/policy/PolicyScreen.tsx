import { useEffect } from 'react';
import type { SettingKey } from '../../../shared/settings.js';
import { ScreenHeader } from '../../app/ScreenHeader.js';
import { ErrorNotice } from '../../components/ErrorNotice.js';
import { Loading } from '../../components/StatusMessage.js';
import { useApp } from '../../store/store.js';
import { ImpactHint } from '../impact/ImpactHint.js';
import { SaveBar } from './SaveBar.js';
import { SettingField } from './SettingField.js';
import { useSettingsForm, type SettingDraft } from './use-settings-form.js';

const GROUPS: Array<{ title: string; keys: SettingKey[] }> = [
  { title: 'Timing', keys: ['delay', 'retryWindow', 'maxAge', 'autoAllowAfter', 'autoAllowBy'] },
  { title: 'What makes a triplet', keys: ['clientPrefixV4', 'clientPrefixV6', 'normaliseSender'] },
  { title: 'Scope', keys: ['mode'] },
  { title: 'Replies to Postfix', keys: ['deferReply', 'denyReply', 'passHeader'] },
];
const KEYS = GROUPS.flatMap((group) => group.keys);

export function SettingsProblems() {
  const problems = useApp((state) => state.settings.problems);
  if (problems.length === 0) return null;
  return <ErrorNotice title="Some stored settings are not valid and their defaults apply" error={{ message: '', details: problems }} />;
}

export function SettingsGate({ what, children }: { what: string; children: React.ReactNode }) {
  const values = useApp((state) => state.settings.values);
  const loading = useApp((state) => state.settings.loading);
  const error = useApp((state) => state.settings.error);
  const load = useApp((state) => state.settings.load);
  useEffect(() => {
    void load();
  }, [load]);
  if (!values) return error ? <ErrorNotice error={error} title={`Could not load the ${what}`} onRetry={() => void load()} /> : loading ? <Loading what={what} /> : null;
  return (
    <>
      {error && <ErrorNotice error={error} title="Could not reload the settings; showing the last ones read" onRetry={() => void load()} />}
      {children}
    </>
  );
}

function PolicyForm() {
  const form = useSettingsForm(KEYS);
  const byKey = new Map<SettingKey, SettingDraft>(form.drafts.map((draft) => [draft.key, draft]));
  return (
    <>
      <SettingsProblems />
      {GROUPS.map((group) => (
        <section className="card settings-group" key={group.title}>
          <h2>{group.title}</h2>
          {group.title === 'Timing' && <ImpactHint />}
          {group.keys.map((key) => (
            <SettingField key={key} draft={byKey.get(key)!} onChange={(text) => form.edit(key, text)} />
          ))}
        </section>
      ))}
      <SaveBar form={form} />
    </>
  );
}

export function PolicyScreen() {
  return (
    <>
      <ScreenHeader title="Policy" subtitle="How greylisting decides. A saved change is live in the filter within a second." />
      <SettingsGate what="policy">
        <PolicyForm />
      </SettingsGate>
    </>
  );
}
