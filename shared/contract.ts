import { z } from 'zod';
import {
  impactPayload,
  impactResult,
  retryHistogramPayload,
  retryHistogramResult,
  suspectSchema,
  suspectsFixPayload,
  suspectsFixResult,
  suspectsListPayload,
} from './insight-contract.js';
import { LIST_KINDS, LIST_NAMES } from './lists.js';
import { LIST_FILE_FORMATS } from './list-files.js';
import { SETTING_KEYS } from './settings.js';

/**
 * The one contract between the renderer and main: every request with its payload and result,
 * every event with its payload. The preload, the IPC handlers, the browser host and the
 * renderer all use these schemas; payloads are parsed at runtime on the main side.
 */

const id = z.number().int().positive();
const unixSeconds = z.number().int();
const listName = z.enum(LIST_NAMES);
const listKind = z.enum(LIST_KINDS);
const text = (max: number) => z.string().max(max);

export const listEntrySchema = z.object({
  id,
  list: listName,
  kind: listKind,
  pattern: z.string(),
  comment: z.string(),
  source: z.string(),
  createdAt: unixSeconds,
  expiresAt: unixSeconds.nullable(),
  hits: z.number().int(),
  lastHitAt: unixSeconds.nullable(),
});

export const attemptSchema = z.object({
  id,
  at: unixSeconds,
  clientAddress: z.string(),
  clientName: z.string(),
  helo: z.string(),
  sender: z.string(),
  recipient: z.string(),
  queueId: z.string(),
  action: z.enum(['defer', 'pass', 'allow', 'reject', 'error']),
  reason: z.string(),
  rule: z.string(),
  delay: z.number().int().nullable(),
  tripletId: z.number().int().nullable(),
  /** Which attempt of its triplet this was (1 for the first). */
  attemptNumber: z.number().int().nullable(),
  /** On a database several MX hosts share: the host whose filter decided. */
  filter: z.string().optional(),
});

/** How deferred mail got through later: its triplet passed (on a retry, or by an administrator's "Pass now"), or the allow list took it. */
export const PASSED_BY = ['retry', 'administrator', 'allow-list'] as const;
export const mailPassedSchema = z.object({
  /** The deferral this is the outcome of. */
  deferralId: id,
  at: unixSeconds,
  by: z.enum(PASSED_BY),
});

export const TRIPLET_STATES = ['waiting', 'passed', 'expired'] as const;
export const tripletSchema = z.object({
  id,
  clientGroup: z.string(),
  sender: z.string(),
  recipient: z.string(),
  firstSeen: unixSeconds,
  lastSeen: unixSeconds,
  attempts: z.number().int(),
  earlyAttempts: z.number().int(),
  passedAt: unixSeconds.nullable(),
  state: z.enum(TRIPLET_STATES),
  /** For a waiting triplet: seconds until a retry passes (0: the next one passes). */
  secondsLeft: z.number().int().nullable(),
});

/** `shared`: a window onto a database several mail hosts share, whose filters run on those hosts. */
export const FILTER_STATES = ['starting', 'running', 'attached', 'stopped', 'crashed', 'shared'] as const;
export const filterStatusSchema = z.object({
  state: z.enum(FILTER_STATES),
  pid: z.number().int().nullable(),
  endpoints: z.object({ tcp: z.string().optional(), unix: z.string().optional() }),
  startedAt: unixSeconds.nullable(),
  version: z.string(),
  restarts: z.number().int(),
  message: z.string(),
});

/** The Overview chart's time ranges, each counted in buckets that keep it to a readable number of points. */
export const CHART_RANGES = {
  '1h': { seconds: 3600, bucketSeconds: 60 },
  '24h': { seconds: 86_400, bucketSeconds: 300 },
  '7d': { seconds: 7 * 86_400, bucketSeconds: 3600 },
} as const;
export type ChartRange = keyof typeof CHART_RANGES;
const chartRange = z.enum(Object.keys(CHART_RANGES) as [ChartRange, ...ChartRange[]]);

/** A filter serving a shared database, as its heartbeats tell; silent once three beats were missed. */
export const sharedFilterSchema = z.object({
  host: z.string(),
  pid: z.number().int(),
  version: z.string(),
  endpoints: z.object({ tcp: z.string().optional(), unix: z.string().optional() }),
  startedAt: unixSeconds,
  seenAt: unixSeconds,
  /** Its clock minus the database's, in seconds, at its last heartbeat. */
  clockOffset: z.number(),
  decisionsPerMinute: z.number().int(),
  state: z.enum(['answering', 'silent']),
});
export type SharedFilter = z.output<typeof sharedFilterSchema>;

const decisionCounts = z.object({ defer: z.number(), pass: z.number(), allow: z.number(), reject: z.number() });
export const overviewSchema = z.object({
  filter: filterStatusSchema,
  /** On a database several MX hosts share: every filter on it, this host's or not. */
  filters: z.array(sharedFilterSchema).optional(),
  today: decisionCounts,
  /** Decisions per bucket over the range asked for (or the one that suits the log's age), oldest first; empty buckets left out. */
  chart: z.object({
    range: chartRange,
    bucketSeconds: z.number().int(),
    start: unixSeconds,
    buckets: z.array(decisionCounts.extend({ at: unixSeconds })),
    /** Settings changed within the range, oldest first; a null value is the default. */
    settingChanges: z.array(z.object({ at: unixSeconds, key: z.string(), from: z.unknown().nullable(), to: z.unknown().nullable() })),
  }),
  topDeferred: z.array(z.object({ sender: z.string(), deferrals: z.number(), lastAt: unixSeconds })),
});

export const settingsViewSchema = z.object({
  settings: z.record(z.string(), z.unknown()),
  problems: z.array(z.string()),
  /** The database file these settings live in (and the filter uses). */
  databasePath: z.string(),
});

/** After a save: the settings, why a saved value is risky, and which changes wait for a restart of the filter. */
export const settingsSavedSchema = settingsViewSchema.extend({
  warnings: z.array(z.string()),
  restartNeeded: z.array(z.enum(SETTING_KEYS as [string, ...string[]])),
});

/** A shared database saved in the desktop app: the URL without its password, which the system's key encrypts. */
export const savedConnectionSchema = z.object({ name: z.string(), url: z.string(), hasPassword: z.boolean() });
export type SavedConnection = z.output<typeof savedConnectionSchema>;

/** Counting every match of a substring search over a million triplets takes longer than a page should. */
export const SEARCH_COUNT_LIMIT = 10_000;

const tripletSort = z.enum(['lastSeen', 'firstSeen', 'attempts', 'sender', 'recipient', 'clientGroup']);

function request<P extends z.ZodType, R extends z.ZodType>(payload: P, result: R) {
  return { payload, result };
}

export const REQUESTS = {
  'overview.get': request(z.object({ range: chartRange.optional() }), overviewSchema),
  'filter.status': request(z.object({}), filterStatusSchema),
  'filter.restart': request(z.object({}), filterStatusSchema),
  'attempts.recent': request(z.object({ limit: z.number().int().min(1).max(5000), actions: z.array(attemptSchema.shape.action).optional() }), z.array(attemptSchema)),
  /** The newest deferrals, oldest first, and for those whose mail got through since, how and when. */
  'attempts.deferrals': request(
    z.object({ limit: z.number().int().min(1).max(10_000) }),
    z.object({ deferrals: z.array(attemptSchema), passed: z.array(mailPassedSchema) }),
  ),
  'attempts.search': request(
    z.object({ query: text(300), limit: z.number().int().min(1).max(5000) }),
    z.array(attemptSchema),
  ),
  'triplets.get': request(z.object({ id }), z.object({ triplet: tripletSchema.nullable(), attempts: z.array(attemptSchema) })),
  'triplets.page': request(
    z.object({
      search: text(300).optional(),
      state: z.enum(TRIPLET_STATES).optional(),
      sort: tripletSort,
      descending: z.boolean(),
      offset: z.number().int().min(0),
      limit: z.number().int().min(1).max(1000),
    }),
    z.object({
      rows: z.array(tripletSchema),
      total: z.number().int(),
      /** A search counts its matches up to SEARCH_COUNT_LIMIT; true when there are more. */
      capped: z.boolean(),
    }),
  ),
  'triplets.passNow': request(z.object({ ids: z.array(id).min(1).max(10_000) }), z.object({ updated: z.number().int() })),
  'triplets.delete': request(z.object({ ids: z.array(id).min(1).max(10_000) }), z.object({ deleted: z.number().int() })),
  'lists.get': request(z.object({ list: listName.optional(), search: text(300).optional() }), z.array(listEntrySchema)),
  'lists.add': request(
    z.object({
      entries: z
        .array(z.object({ list: listName, kind: listKind, pattern: text(600), comment: text(500).optional(), expiresAt: unixSeconds.nullable().optional() }))
        .min(1)
        .max(5000),
      source: text(200),
    }),
    z.object({ added: z.number().int(), duplicates: z.number().int() }),
  ),
  /** Changes an entry's pattern, comment or expiry, checked as lists.add checks them; its id, hits and source stay. */
  'lists.edit': request(
    z.object({ id, pattern: text(600).optional(), comment: text(500).optional(), expiresAt: unixSeconds.nullable().optional() }),
    listEntrySchema,
  ),
  'lists.remove': request(z.object({ ids: z.array(id).min(1).max(100_000) }), z.object({ removed: z.number().int() })),
  'lists.export': request(z.object({ list: listName, format: z.enum(LIST_FILE_FORMATS) }), z.object({ text: z.string(), skipped: z.number().int() })),
  'settings.get': request(z.object({}), settingsViewSchema),
  'settings.set': request(z.object({ changes: z.partialRecord(z.enum(SETTING_KEYS as [string, ...string[]]), z.unknown()) }), settingsSavedSchema),
  'check.explain': request(
    z.object({ clientAddress: text(100), clientName: text(300), sender: text(600), recipient: text(600) }),
    z.object({ action: z.string(), reason: z.string(), rule: z.string(), reply: z.string(), delay: z.number().nullable() }),
  ),
  /** Mail greylisting is about to lose, most credible first (see main/insight/classify.ts). */
  'suspects.list': request(suspectsListPayload, z.array(suspectSchema)),
  /** One-click fixes; with dryRun: true, what they would change, changing nothing. */
  'suspects.fix': request(suspectsFixPayload, suspectsFixResult),
  'insight.retryHistogram': request(retryHistogramPayload, retryHistogramResult),
  /** Replays the attempt log under the current and the proposed settings. */
  'insight.impact': request(impactPayload, impactResult),
  /** Starts copying the log for the impact preview while the administrator writes a proposal; answers at once. */
  'insight.prepareImpact': request(z.object({}), z.object({ started: z.boolean() })),
  /** The desktop app's saved shared databases; `current` is the one open (null: the local file). */
  'connections.list': request(
    z.object({}),
    z.object({ connections: z.array(savedConnectionSchema), current: z.string().nullable(), canStorePasswords: z.boolean() }),
  ),
  'connections.save': request(z.object({ name: text(64), url: text(2000), password: text(1000).optional() }), savedConnectionSchema),
  'connections.remove': request(z.object({ name: text(64) }), z.object({ removed: z.boolean() })),
  /** Opens a saved database (null: the local file) in place of the current one: the app starts again on it. */
  'connections.open': request(z.object({ name: text(64).nullable() }), z.object({ opening: z.boolean() })),
} as const;

export const EVENTS = {
  'filter.status': filterStatusSchema,
  /** New attempts as the filter records them, in batches, oldest first. */
  'attempts.added': z.array(attemptSchema),
  /** The lists or the settings changed in the database, here or elsewhere (another window, the command line). */
  'policy.changed': z.object({ lists: z.boolean(), settings: z.boolean() }),
} as const;

export type RequestName = keyof typeof REQUESTS;
export type EventName = keyof typeof EVENTS;
export type RequestPayload<N extends RequestName> = z.input<(typeof REQUESTS)[N]['payload']>;
export type RequestResult<N extends RequestName> = z.output<(typeof REQUESTS)[N]['result']>;
export type EventPayload<N extends EventName> = z.output<(typeof EVENTS)[N]>;

export type ListEntryView = z.output<typeof listEntrySchema>;
export type Attempt = z.output<typeof attemptSchema>;
export type Triplet = z.output<typeof tripletSchema>;
export type MailPassed = z.output<typeof mailPassedSchema>;
export type FilterStatus = z.output<typeof filterStatusSchema>;
export type Overview = z.output<typeof overviewSchema>;
export type { ImpactReport, RetryHistogram, Suspect, SuspectClass, SuspectEvidence, SuspectFix } from './insight-contract.js';

/** Handlers answer with data, never with a thrown error: the renderer shows the message. */
export type Outcome<T> = { ok: true; value: T } | { ok: false; error: { message: string; details?: string[] } };

/** What the renderer calls: one function per request, and event subscriptions. */
export type GreywardApi = {
  [N in RequestName]: (payload: RequestPayload<N>) => Promise<Outcome<RequestResult<N>>>;
} & {
  on<N extends EventName>(event: N, listener: (payload: EventPayload<N>) => void): () => void;
};

export const REQUEST_NAMES = Object.keys(REQUESTS) as RequestName[];
export const EVENT_NAMES = Object.keys(EVENTS) as EventName[];

export function isRequestName(name: string): name is RequestName {
  return Object.hasOwn(REQUESTS, name);
}
