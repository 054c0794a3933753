import { alertKey, isAboutToBeLost } from '../../shared/at-risk.js';
import type { Attempt, ImpactReport, Outcome, RequestResult, RetryHistogram, Suspect, SuspectFix } from '../../shared/contract.js';
import type { ReplayableSettings } from '../../shared/insight-contract.js';
import { nowSeconds } from '../format/time.js';
import { throttle } from '../insight/throttle.js';
import type { SimulatorForm } from '../screens/trace/trace-logic.js';
import { idle, loading, settle, settled, type Remote } from './remote.js';
import type { SliceContext } from './slice.js';

/**
 * New attempts reload the At risk list at most this often, and never more than a fifth of the
 * time (the classification reads the whole recent log: seconds on a million triplets).
 */
export const SUSPECTS_REFRESH_MS = 5000;
/** The app-wide look for mail about to be lost (the banner); the same rhythm as the desktop notification. */
export const ALERT_POLL_MS = 60_000;
/** The banner's look takes at most a tenth of the server's time. */
const ALERT_COST_FACTOR = 9;
/** Suspects a list shows at most (the most credible; the handler's own default too). */
export const SUSPECT_LIST_LIMIT = 1000;
/** Attempts a trace shows at most, newest first. */
export const TRACE_LIMIT = 1000;

export type FixResult = RequestResult<'suspects.fix'>;
export type Explanation = RequestResult<'check.explain'>;
/** "all": the whole attempt log; else the last N days. */
export type Period = 'all' | 1 | 7 | 30;

export interface InsightSlice {
  /** The At risk list as last answered, and when (this machine's clock): countdowns run from there. */
  suspects: Remote<Suspect[]>;
  suspectsAt: number | undefined;
  /** Also closed windows and spam-like suspects. */
  showAll: boolean;
  /** Whether the list shown was asked for with Show all: it lags the switch while the list is read. */
  listedAll: boolean;
  /** The suspect open in the detail panel (kept when it leaves the list, to say so). */
  selected: Suspect | undefined;

  /** Credible mail about to be lost (see shared/at-risk.ts) from the last default list, and when. */
  aboutToBeLost: Suspect[];
  aboutToBeLostAt: number | undefined;
  /** How many suspects the default list holds, for the navigation. */
  atRiskCount: number | undefined;
  /** Alert keys the administrator dismissed; a new suspect brings the banner back. */
  dismissedAlerts: ReadonlySet<string>;

  histogram: Remote<RetryHistogram>;
  domainHistogram: Remote<RetryHistogram>;
  histogramDomain: string;
  histogramPeriod: Period;

  impact: Remote<ImpactReport>;

  traceQuery: string;
  trace: Remote<Attempt[]>;
  /** The query the trace rows answer. */
  tracedFor: string;
  simulatorForm: SimulatorForm;
  simulation: Remote<Explanation>;
  /** The form the simulation answers. */
  simulatedFor: SimulatorForm | undefined;

  loadSuspects(): Promise<void>;
  setShowAll(all: boolean): void;
  select(suspect: Suspect | undefined): void;
  /** Reloads the list (throttled) while new attempts arrive; returns the stop function. */
  followAttempts(): () => void;
  /** A reload through the same throttle, for timers. */
  refreshSuspects(): void;
  /** Polls for mail about to be lost while the app runs; returns the stop function. */
  watchAlerts(): () => void;
  dismissAlerts(): void;
  /** suspects.fix with dryRun: what the fix would change, changing nothing. */
  planFix(suspect: Suspect, fix: SuspectFix): Promise<Outcome<FixResult>>;
  /** Applies the fix, then reloads the list. */
  applyFix(suspect: Suspect, fix: SuspectFix): Promise<Outcome<FixResult>>;

  loadHistogram(): Promise<void>;
  setHistogramDomain(domain: string): void;
  setHistogramPeriod(period: Period): void;

  runImpact(settings: ReplayableSettings, period: Period): Promise<void>;
  /** Lets the main process copy the log ahead, while a proposal is being written. */
  prepareImpact(): void;

  setTraceQuery(query: string): void;
  setSimulatorForm(form: Partial<SimulatorForm>): void;
  simulate(form: SimulatorForm): Promise<void>;
  /** Prepares the Trace screen for a mail: its sender searched, the simulator filled in. */
  traceMail(mail: { sender: string; recipient: string; clientAddress?: string; clientName?: string }): void;
}

const days = (period: Period) => (period === 'all' ? {} : { days: period });

export function createInsightSlice({ patch, get, deps }: SliceContext<'insight'>): InsightSlice {
  const slice = () => get().insight;
  let suspectsRequest = 0;
  let histogramRequest = 0;
  let impactRequest = 0;
  let traceRequest = 0;
  let simulationRequest = 0;

  /** When a default list was last answered (ms): the banner does not ask again that soon. */
  let defaultListAt = Number.NEGATIVE_INFINITY;

  /** The banner and the navigation count follow every default list, whoever asked for it. */
  const noteDefaultList = (suspects: Suspect[]) => {
    defaultListAt = Date.now();
    const aboutToBeLost = suspects.filter(isAboutToBeLost);
    const live = new Set(aboutToBeLost.map(alertKey));
    patch((s) => ({
      aboutToBeLost,
      aboutToBeLostAt: nowSeconds(),
      atRiskCount: suspects.length,
      // Forget dismissals of suspects that left the list, so the set stays small.
      dismissedAlerts: new Set([...s.dismissedAlerts].filter((key) => live.has(key))),
    }));
  };

  const reloadThrottled = throttle(() => slice().loadSuspects(), { intervalMs: SUSPECTS_REFRESH_MS });

  return {
    suspects: idle(),
    suspectsAt: undefined,
    showAll: false,
    listedAll: false,
    selected: undefined,
    aboutToBeLost: [],
    aboutToBeLostAt: undefined,
    atRiskCount: undefined,
    dismissedAlerts: new Set(),
    histogram: idle(),
    domainHistogram: idle(),
    histogramDomain: '',
    histogramPeriod: 'all',
    impact: idle(),
    traceQuery: '',
    trace: idle(),
    tracedFor: '',
    simulatorForm: { clientAddress: '', clientName: '', sender: '', recipient: '' },
    simulation: idle(),
    simulatedFor: undefined,

    async loadSuspects() {
      const request = ++suspectsRequest;
      const all = slice().showAll;
      patch((s) => ({ suspects: loading(s.suspects) }));
      const outcome = await settle(() => deps.api['suspects.list']({ ...(all ? { all: true } : {}), limit: SUSPECT_LIST_LIMIT }));
      if (request !== suspectsRequest) return;
      patch((s) => {
        const fresh = outcome.ok && s.selected ? outcome.value.find((suspect) => suspect.id === s.selected!.id) : undefined;
        return {
          suspects: settled(s.suspects, outcome),
          ...(outcome.ok ? { suspectsAt: nowSeconds(), listedAll: all } : {}),
          ...(fresh ? { selected: fresh } : {}),
        };
      });
      if (outcome.ok && !all) noteDefaultList(outcome.value);
    },
    setShowAll(showAll) {
      patch({ showAll });
      void slice().loadSuspects();
    },
    select(selected) {
      patch({ selected });
    },
    followAttempts() {
      const stop = deps.api.on('attempts.added', () => reloadThrottled());
      return () => {
        stop();
        reloadThrottled.cancel();
      };
    },
    refreshSuspects() {
      reloadThrottled();
    },
    watchAlerts() {
      let timer: ReturnType<typeof setTimeout> | undefined;
      let stopped = false;
      const look = async () => {
        timer = undefined;
        let next = ALERT_POLL_MS;
        // The At risk screen's default list (reloaded as attempts arrive) serves the banner too.
        if (Date.now() - defaultListAt >= ALERT_POLL_MS) {
          const started = Date.now();
          const outcome = await settle(() => deps.api['suspects.list']({ limit: SUSPECT_LIST_LIMIT }));
          // A failed look keeps the last alert: the connection banner already says what is wrong.
          if (outcome.ok) noteDefaultList(outcome.value);
          next = Math.max(ALERT_POLL_MS, ALERT_COST_FACTOR * (Date.now() - started));
        }
        if (!stopped) timer = setTimeout(() => void look(), next);
      };
      void look();
      const stopReconnect = deps.connection.onReconnect(() => {
        defaultListAt = Number.NEGATIVE_INFINITY;
        if (timer !== undefined) {
          clearTimeout(timer);
          void look();
        }
      });
      return () => {
        stopped = true;
        clearTimeout(timer);
        stopReconnect();
      };
    },
    dismissAlerts() {
      patch((s) => ({ dismissedAlerts: new Set([...s.dismissedAlerts, ...s.aboutToBeLost.map(alertKey)]) }));
    },
    planFix(suspect, fix) {
      return settle(() => deps.api['suspects.fix']({ tripletIds: suspect.tripletIds, fix, dryRun: true }));
    },
    async applyFix(suspect, fix) {
      const outcome = await settle(() => deps.api['suspects.fix']({ tripletIds: suspect.tripletIds, fix, dryRun: false }));
      if (outcome.ok) void slice().loadSuspects();
      return outcome;
    },

    async loadHistogram() {
      const request = ++histogramRequest;
      const { histogramDomain, histogramPeriod } = slice();
      const domain = histogramDomain.trim();
      patch((s) => ({ histogram: loading(s.histogram), domainHistogram: domain ? loading(s.domainHistogram) : idle() }));
      const [overall, forDomain] = await Promise.all([
        settle(() => deps.api['insight.retryHistogram'](days(histogramPeriod))),
        domain ? settle(() => deps.api['insight.retryHistogram']({ domain, ...days(histogramPeriod) })) : undefined,
      ]);
      if (request !== histogramRequest) return;
      patch((s) => ({ histogram: settled(s.histogram, overall), ...(forDomain ? { domainHistogram: settled(s.domainHistogram, forDomain) } : {}) }));
    },
    setHistogramDomain(histogramDomain) {
      patch({ histogramDomain });
      void slice().loadHistogram();
    },
    setHistogramPeriod(histogramPeriod) {
      patch({ histogramPeriod });
      void slice().loadHistogram();
    },

    prepareImpact() {
      void settle(() => deps.api['insight.prepareImpact']({}));
    },

    async runImpact(settings, period) {
      const request = ++impactRequest;
      patch((s) => ({ impact: loading(s.impact) }));
      const outcome = await settle(() => deps.api['insight.impact']({ settings, ...days(period) }));
      if (request !== impactRequest) return;
      patch((s) => ({ impact: settled(s.impact, outcome) }));
    },

    setTraceQuery(traceQuery) {
      const query = traceQuery.trim();
      patch({ traceQuery });
      const request = ++traceRequest;
      if (!query) {
        patch({ trace: idle(), tracedFor: '' });
        return;
      }
      patch((s) => ({ trace: loading(s.trace) }));
      void settle(() => deps.api['attempts.search']({ query, limit: TRACE_LIMIT })).then((outcome) => {
        if (request !== traceRequest) return;
        patch((s) => ({ trace: settled(s.trace, outcome), tracedFor: query }));
      });
    },
    setSimulatorForm(change) {
      patch((s) => ({ simulatorForm: { ...s.simulatorForm, ...change } }));
    },
    async simulate(form) {
      const request = ++simulationRequest;
      patch((s) => ({ simulation: loading(s.simulation) }));
      const outcome = await settle(() => deps.api['check.explain'](form));
      if (request !== simulationRequest) return;
      patch((s) => ({ simulation: settled(s.simulation, outcome), simulatedFor: form }));
    },
    traceMail({ sender, recipient, clientAddress, clientName }) {
      patch({
        simulatorForm: { clientAddress: clientAddress ?? '', clientName: clientName && clientName !== 'unknown' ? clientName : '', sender, recipient },
        simulation: idle(),
        simulatedFor: undefined,
      });
      slice().setTraceQuery(sender || recipient);
    },
  };
}
