/** The one error shape every service answers with (otus55 `Error`). */
export interface ApiError {
  code: number;
  message: string;
}

export const errorSchema = {
  $id: 'Error',
  type: 'object',
  required: ['code', 'message'],
  properties: { code: { type: 'integer', format: 'int32' }, message: { type: 'string' } },
} as const;

/** An error whose status and message are meant for the caller. */
export class HttpError extends Error {
  readonly statusCode: number;
  /** Headers the answer carries, e.g. Retry-After or WWW-Authenticate. */
  readonly headers: Record<string, string>;
  /** For a 503: the dependency that is down (logged once per outage, counted by the kit), never shown to the caller. */
  readonly dependency: string | undefined;
  constructor(statusCode: number, message: string, headers: Record<string, string> = {}, options: { dependency?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HttpError';
    this.statusCode = statusCode;
    this.headers = headers;
    this.dependency = options.dependency;
  }
}

export const badRequest = (message: string) => new HttpError(400, message);
export const unauthorized = (message: string) => new HttpError(401, message);
export const forbidden = (message: string) => new HttpError(403, message);
export const notFound = (message: string) => new HttpError(404, message);
export const conflict = (message: string) => new HttpError(409, message);
/** 503: `dependency` names what is down and `cause` says why, for the log; the caller sees `message` only. */
export const unavailable = (message: string, dependency?: string, cause?: unknown) =>
  new HttpError(503, message, {}, { ...(dependency ? { dependency } : {}), ...(cause === undefined ? {} : { cause }) });
export const tooManyRequests = (message: string, retryAfterSeconds: number) =>
  new HttpError(429, message, { 'retry-after': String(Math.max(1, Math.ceil(retryAfterSeconds))) });

const unavailableCodes = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH', 'EPIPE', 'EAI_AGAIN',
  '57P01', '57P02', '57P03', // admin/crash shutdown, cannot connect now
  '53300', // too many connections
  '08000', '08001', '08003', '08006', // connection exceptions
]);
const unavailableMessages = /connection terminated|timeout exceeded when trying to connect|connection timeout|client has encountered a connection error|cannot use a pool after calling end|the database system is (starting up|shutting down)|query read timeout/i;

/** True when an error means the database (or another dependency) cannot be reached right now. */
export function isUnavailableError(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 5; depth++) {
    const candidate = e as { code?: unknown; message?: unknown; cause?: unknown; errors?: unknown };
    if (typeof candidate.code === 'string' && unavailableCodes.has(candidate.code)) return true;
    if (typeof candidate.message === 'string' && unavailableMessages.test(candidate.message)) return true;
    if (Array.isArray(candidate.errors) && candidate.errors.some(isUnavailableError)) return true;
    e = candidate.cause;
  }
  return false;
}

/** Postgres unique violation: the caller asked for something that already exists. */
export function isUniqueViolation(err: unknown): err is { code: '23505'; constraint?: string; detail?: string } {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === '23505';
}
