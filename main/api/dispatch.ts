import { z } from 'zod';
import { isRequestName, REQUESTS, type Outcome, type RequestName, type RequestPayload, type RequestResult } from '../../shared/contract.js';

/** The implementation of every request; payloads arrive already parsed. */
export type Handlers = { [N in RequestName]: (payload: z.output<(typeof REQUESTS)[N]['payload']>) => Promise<RequestResult<N>> };

/** An error whose message is meant for the administrator, with optional per-item details. */
export class UserError extends Error {
  constructor(message: string, readonly details: string[] = []) {
    super(message);
  }
}

/**
 * The single entry for every transport (Electron IPC, the browser host's WebSocket): checks the
 * name, parses the payload, runs the handler, and turns any failure into data.
 */
export async function dispatch(handlers: Handlers, name: string, payload: unknown): Promise<Outcome<unknown>> {
  if (!isRequestName(name)) return { ok: false, error: { message: `unknown request "${String(name).slice(0, 80)}"` } };
  const parsed = REQUESTS[name].payload.safeParse(payload);
  if (!parsed.success) {
    return {
      ok: false,
      error: { message: `invalid ${name} request`, details: parsed.error.issues.map((issue) => `${issue.path.join('.') || 'payload'}: ${issue.message}`) },
    };
  }
  try {
    const handler = handlers[name] as (payload: unknown) => Promise<unknown>;
    return { ok: true, value: await handler(parsed.data) };
  } catch (error) {
    if (error instanceof UserError) return { ok: false, error: { message: error.message, ...(error.details.length ? { details: error.details } : {}) } };
    return { ok: false, error: { message: (error as Error).message || 'internal error' } };
  }
}

export type { RequestPayload };
