// Small tools the resilience suite shares: timed HTTP calls that never hang, closed-loop load,
// percentiles, and the `{code, message}` check.

export interface Outcome {
  method: string;
  path: string;
  /** HTTP status, or 0 when no answer came (connection error, timeout). */
  status: number;
  /** The answer's body as text ('' when none came). */
  body: string;
  /** The error when no answer came. */
  error?: string;
  startedAt: number;
  ms: number;
}

export interface CallOptions {
  token?: string;
  body?: unknown;
  headers?: Record<string, string>;
  /** No call waits longer than this (default 15 s): a hang shows up as status 0, not a stuck test. */
  timeoutMs?: number;
}

/** One HTTP call with a deadline; never throws. */
export async function call(base: string, method: string, path: string, options: CallOptions = {}): Promise<Outcome> {
  const startedAt = performance.now();
  try {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: {
        ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(options.token !== undefined ? { authorization: `Bearer ${options.token}` } : {}),
        ...options.headers,
      },
      ...(options.body !== undefined ? { body: typeof options.body === 'string' ? options.body : JSON.stringify(options.body) } : {}),
      signal: AbortSignal.timeout(options.timeoutMs ?? 15_000),
    });
    const body = await response.text();
    return { method, path, status: response.status, body, startedAt, ms: performance.now() - startedAt };
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const error = `${(err as Error).name}: ${cause?.code ?? cause?.message ?? (err as Error).message}`;
    return { method, path, status: 0, body: '', error, startedAt, ms: performance.now() - startedAt };
  }
}

/** Runs `clients` closed loops of `step` until `until()` says stop; resolves when every loop ended. */
export async function closedLoop(clients: number, step: (client: number, iteration: number) => Promise<void>, until: () => boolean): Promise<void> {
  await Promise.all(
    Array.from({ length: clients }, async (_, client) => {
      for (let iteration = 0; !until(); iteration++) await step(client, iteration);
    }),
  );
}

/** The q-th percentile (0..100) by nearest rank; 0 for no values. */
export function percentile(values: number[], q: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((q / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export const round = (ms: number) => Math.round(ms * 10) / 10;

/** Why an answer is not the platform's error shape `{code, message}` with code = status, or undefined when it is. */
export function errorShapeProblem(status: number, body: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return `not JSON: ${body.slice(0, 120)}`;
  }
  const value = parsed as { code?: unknown; message?: unknown };
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return `not an object: ${body.slice(0, 120)}`;
  if (value.code !== status) return `code ${String(value.code)} is not the status ${status}`;
  if (typeof value.message !== 'string' || value.message.length === 0) return 'no message';
  return undefined;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
