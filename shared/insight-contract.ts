import { z } from 'zod';
import { SETTINGS } from './settings.js';

/**
 * Schemas of the insight requests (mail at risk, retry behaviour, impact preview), kept apart
 * from contract.ts so that the request map there stays one line per request.
 */

const unixSeconds = z.number().int();

export const SUSPECT_CLASSES = ['early-then-gone', 'never-retried', 'pool-rotation', 'family-switch', 'hammering'] as const;
export type SuspectClass = (typeof SUSPECT_CLASSES)[number];

export const SUSPECT_FIXES = ['pass-now', 'allow-client-network', 'allow-sender-domain'] as const;
export type SuspectFix = (typeof SUSPECT_FIXES)[number];

export const suspectEvidenceSchema = z.object({
  at: unixSeconds,
  clientAddress: z.string(),
  clientName: z.string(),
  action: z.string(),
  reason: z.string(),
  tripletId: z.number().int(),
  /** On a database several MX hosts share: the host whose filter decided. */
  filter: z.string().optional(),
});

export const credibilityReasonSchema = z.object({
  /** What it added to (or took from) the score. */
  weight: z.number(),
  reason: z.string(),
});

/** One mail at risk: a normalised sender and recipient, with every waiting triplet it was deferred on. */
export const suspectSchema = z.object({
  /** The smallest of its triplet ids; stable while the triplet waits. */
  id: z.number().int(),
  tripletIds: z.array(z.number().int()),
  sender: z.string(),
  recipient: z.string(),
  senderDomain: z.string(),
  primary: z.enum(SUSPECT_CLASSES),
  classes: z.array(z.enum(SUSPECT_CLASSES)),
  /** 0..1: how likely this is legitimate mail; the list is sorted by it. */
  credibility: z.number().min(0).max(1),
  credibilityReasons: z.array(credibilityReasonSchema),
  clientGroups: z.array(z.string()),
  firstSeen: unixSeconds,
  lastSeen: unixSeconds,
  attempts: z.number().int(),
  /** When the last of its triplets' retry windows closes; after it, a retry starts over. */
  windowEndsAt: unixSeconds,
  /** Seconds until then; negative once it has closed (the mail is most likely lost). */
  secondsLeft: z.number().int(),
  /** One line an administrator reads first, e.g. "3 attempts in 20 s from 192.0.2.7, silent for 2 h". */
  summary: z.string(),
  evidence: z.array(suspectEvidenceSchema),
});

export const suspectsListPayload = z.object({
  /** Also the suspects whose window has closed and the spam-like ones of low credibility. */
  all: z.boolean().optional(),
  limit: z.number().int().min(1).max(10_000).optional(),
});

export const suspectsFixPayload = z.object({
  tripletIds: z.array(z.number().int().positive()).min(1).max(1000),
  fix: z.enum(SUSPECT_FIXES),
  dryRun: z.boolean(),
});
export const suspectsFixResult = z.object({
  /** One line per change, e.g. "allow client-address 203.0.113.0/24". */
  changes: z.array(z.string()),
  applied: z.boolean(),
});

export const retryHistogramPayload = z.object({
  domain: z.string().max(253).optional(),
  days: z.number().int().min(1).max(3650).optional(),
});
export const retryHistogramResult = z.object({
  domain: z.string().nullable(),
  delay: z.number().int(),
  /** Retry intervals counted, and how many of them came before the delay had run out. */
  total: z.number().int(),
  beforeDelay: z.number().int(),
  /** Log-scale buckets [from, to) in seconds; the last has to = null. */
  buckets: z.array(z.object({ from: z.number().int(), to: z.number().int().nullable(), count: z.number().int() })),
});

/** The settings a replay can answer for from the attempt log alone. */
export const REPLAYABLE_SETTINGS = ['delay', 'retryWindow', 'clientPrefixV4', 'clientPrefixV6', 'autoAllowAfter', 'autoAllowBy', 'mode'] as const;
export type ReplayableSetting = (typeof REPLAYABLE_SETTINGS)[number];

const replayedSettings = z.object({
  delay: SETTINGS.delay.schema,
  retryWindow: SETTINGS.retryWindow.schema,
  clientPrefixV4: SETTINGS.clientPrefixV4.schema,
  clientPrefixV6: SETTINGS.clientPrefixV6.schema,
  autoAllowAfter: SETTINGS.autoAllowAfter.schema,
  autoAllowBy: SETTINGS.autoAllowBy.schema,
  mode: SETTINGS.mode.schema,
});
export const replayableSettingsSchema = replayedSettings.partial().strict();

const replayOutcome = z.object({
  settings: replayedSettings,
  /** Greylisted mails that passed after a delay. */
  delayed: z.number().int(),
  /** Mails let in at their first attempt: auto-allowed, not grey-listed, or on a triplet that had passed. */
  passedAtOnce: z.number().int(),
  /** Seconds from the first attempt to the pass, over the delayed mails; null when none passed. */
  addedDelayP50: z.number().nullable(),
  addedDelayP95: z.number().nullable(),
  /** Retried, never passed, and stopped retrying: the sender gave up before the mail would pass. */
  lost: z.number().int(),
  /** One attempt and nothing since: kept out (mostly spam). */
  neverRetried: z.number().int(),
  /** Not passed yet, but retried recently enough that it still may. */
  pending: z.number().int(),
});

export const impactPayload = z.object({
  settings: replayableSettingsSchema,
  /** Replay the last N days of the log; all of it when absent. */
  days: z.number().int().min(1).max(3650).optional(),
});
export const impactResult = z.object({
  attempts: z.number().int(),
  /** Mails replayed: a sender and recipient from their first attempt until they got through (from whichever client). */
  mails: z.number().int(),
  current: replayOutcome,
  proposed: replayOutcome,
  elapsedMs: z.number(),
});

export type Suspect = z.output<typeof suspectSchema>;
export type SuspectEvidence = z.output<typeof suspectEvidenceSchema>;
export type CredibilityReason = z.output<typeof credibilityReasonSchema>;
export type RetryHistogram = z.output<typeof retryHistogramResult>;
export type ReplayOutcome = z.output<typeof replayOutcome>;
export type ImpactReport = z.output<typeof impactResult>;
export type ReplayableSettings = z.output<typeof replayableSettingsSchema>;
