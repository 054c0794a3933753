import { useEffect, useState } from 'react';
import type { Suspect } from '../../../shared/contract.js';
import { ConfirmDialog } from '../../components/ConfirmDialog.js';
import { ErrorNotice } from '../../components/ErrorNotice.js';
import { Loading } from '../../components/StatusMessage.js';
import type { ApiError } from '../../store/remote.js';
import { useApp } from '../../store/store.js';
import { mailLine, type FixInfo } from './suspect-format.js';

type Plan = { state: 'planning' } | { state: 'planned'; changes: string[] } | { state: 'failed'; error: ApiError };

/**
 * A fix in two steps: the dry run says exactly what will change (suspects.fix with dryRun), and
 * only the confirm button applies it. Nothing changes until then.
 */
export function FixDialog({ suspect, fix, onClose }: { suspect: Suspect; fix: FixInfo; onClose: () => void }) {
  const planFix = useApp((state) => state.insight.planFix);
  const applyFix = useApp((state) => state.insight.applyFix);
  const notify = useApp((state) => state.ui.notify);
  const [plan, setPlan] = useState<Plan>({ state: 'planning' });

  const askPlan = async () => {
    setPlan({ state: 'planning' });
    const outcome = await planFix(suspect, fix.fix);
    setPlan(outcome.ok ? { state: 'planned', changes: outcome.value.changes } : { state: 'failed', error: outcome.error });
  };
  useEffect(() => {
    void askPlan();
    // Planned once per dialog: the suspect and fix do not change while it is open.
  }, []);

  const nothingToDo = plan.state === 'planned' && plan.changes.length === 0;
  return (
    <ConfirmDialog
      title={`${fix.label}?`}
      confirmLabel={plan.state === 'planned' && plan.changes.length > 1 ? `Apply ${plan.changes.length} changes` : 'Apply'}
      blocked={plan.state !== 'planned' || nothingToDo}
      onClose={onClose}
      onConfirm={async () => {
        const outcome = await applyFix(suspect, fix.fix);
        if (!outcome.ok) return outcome.error;
        const { changes, applied } = outcome.value;
        notify(
          applied
            ? { tone: 'success', text: `${fix.label}: done for ${mailLine(suspect)}. The filter applies it within a second.`, details: changes }
            : { tone: 'info', text: `${fix.label}: nothing needed changing for ${mailLine(suspect)}.` },
        );
        return undefined;
      }}
    >
      <p>
        For <span className="mono">{mailLine(suspect)}</span>. {fix.effect}
      </p>
      {plan.state === 'planning' && <Loading what="what this will change" />}
      {plan.state === 'failed' && <ErrorNotice error={plan.error} title="Could not work out what this changes" onRetry={() => void askPlan()} />}
      {plan.state === 'planned' &&
        (nothingToDo ? (
          <div className="notice notice-info">Nothing to change: this is already in place (for example, the network is already on the allow list).</div>
        ) : (
          <>
            <h3 className="fix-changes-title">What will change</h3>
            <ul className="fix-changes" aria-label="What will change">
              {plan.changes.map((change) => (
                <li key={change} className="mono">
                  {change}
                </li>
              ))}
            </ul>
            <p className="muted small">Nothing has changed yet.{fix.fix === 'pass-now' ? '' : ' The entries are marked "suspects" on the Lists screen, where they can be removed.'}</p>
          </>
        ))}
    </ConfirmDialog>
  );
}
