import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import fastify, { LogController, type FastifyReply, type FastifyRequest, type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import metricsPlugin from 'fastify-metrics';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import helmet from '@fastify/helmet';
import helmetHeaders from 'helmet';
import cors from '@fastify/cors';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { badRequest, errorSchema, HttpError, isUnavailableError, type ApiError } from './errors.ts';
import { createValidatorCompiler, describeValidationError } from './validation.ts';
import { registerIngressErrors } from './ingress-errors.ts';
import type { BaseConfig } from './config.ts';
import type { PoolStats } from './db.ts';

export type App = FastifyInstance<Server, IncomingMessage, ServerResponse, FastifyBaseLogger, TypeBoxTypeProvider>;

/** A readiness check resolves when its dependency answers and rejects (with a reason) when it does not. */
export type ReadinessCheck = () => Promise<unknown>;

export interface ServerOptions {
  /** Service name: log field, OpenAPI title. */
  name: string;
  version: string;
  description: string;
  config: Pick<BaseConfig, 'LOG_LEVEL' | 'BODY_LIMIT_BYTES' | 'CORS_ORIGINS'>;
  /** Checked by GET /ready, by name. */
  readiness?: Record<string, ReadinessCheck>;
  /** Where logs go; tests pass a stream to read them. Default: stdout. */
  logStream?: NodeJS.WritableStream;
  /** Fastify's trustProxy: which proxies' X-Forwarded-For to believe for `request.ip` (default: none). */
  trustProxy?: FastifyServerOptions['trustProxy'];
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Starts the shutdown sequence's first step: /ready answers 503 from now on. */
    markShuttingDown(): void;
    readonly shuttingDown: boolean;
  }
}

const READINESS_TIMEOUT_MS = 1500;
const SUMMARY_WINDOW_SECONDS = 60;
const REQUEST_ID = /^[\w.:-]{1,128}$/;

/** Paths in logs redacted wherever they appear: credentials never reach a log line. */
export const redactedLogPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'password',
  '*.password',
  'accessToken',
  '*.accessToken',
  'token',
  '*.token',
];

/**
 * Creates a Fastify instance with everything a service of this platform shares: logging with a
 * request id, validation with the project's formats, `{code, message}` errors, Prometheus metrics,
 * health and readiness, and OpenAPI from the route schemas. Routes are registered by the caller.
 */
export async function createServer(options: ServerOptions): Promise<App> {
  const { config } = options;
  const loggerOptions: FastifyServerOptions['logger'] = {
    level: config.LOG_LEVEL,
    base: { service: options.name },
    redact: { paths: redactedLogPaths, censor: '[redacted]' },
    ...(options.logStream ? { stream: options.logStream } : {}),
  };
  const app = fastify({
    logger: loggerOptions,
    logController: new QuietLogController(config.LOG_LEVEL === 'debug' || config.LOG_LEVEL === 'trace'),
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    bodyLimit: config.BODY_LIMIT_BYTES,
    ...(options.trustProxy !== undefined ? { trustProxy: options.trustProxy } : {}),
    requestTimeout: 30_000,
    // Longer than ingress-nginx's upstream keep-alive (60 s), so the proxy closes first.
    keepAliveTimeout: 72_000,
    return503OnClosing: true,
    // `GET /health/` (the first homework's probe) and `/user/` answer like the plain path.
    routerOptions: { ignoreTrailingSlash: true },
    // The router's own refusals (a path that is not valid percent-encoding, a path parameter over
    // maxParamLength) are {code, message} too, not Fastify's default shape.
    frameworkErrors: (error, request, reply) => {
      const answer = frameworkError(error);
      request.log.debug({ statusCode: answer.code, reason: answer.message }, 'request refused');
      // Refused before routing, so the header hooks have not run: set them here.
      void (reply as FastifyReply).code(answer.code).headers({ ...securityHeaders, 'x-request-id': request.id }).type('application/json').send(answer);
    },
    schemaErrorFormatter: (errors, dataVar) => new Error(describeValidationError(errors, dataVar)),
    clientErrorHandler,
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.setValidatorCompiler(createValidatorCompiler());
  // JSON only: a text/plain body is refused with 415 rather than parsed as a string.
  app.removeContentTypeParser('text/plain');

  let shuttingDown = false;
  app.decorate('markShuttingDown', () => {
    shuttingDown = true;
  });
  app.decorate('shuttingDown', {
    getter: () => shuttingDown,
  });

  app.addHook('onSend', (request, reply, _payload, done) => {
    reply.header('x-request-id', request.id);
    // While draining, every answer (including ones in flight) closes its keep-alive connection,
    // so clients reconnect to another replica and the server can finish closing.
    if (shuttingDown) reply.header('connection', 'close');
    done();
  });

  const dependencies = new DependencyStates(app.log, options.readiness ?? {});
  app.addHook('onClose', async () => dependencies.stop());
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const answer = toApiError(error, options.config.BODY_LIMIT_BYTES, request.headers['content-type']);
    if (answer.code === 503) {
      // An outage is logged once when it starts (and counted), not with a stack on every request.
      dependencies.down(unavailableDependency(error, answer.message), describeCause(error));
      request.log.debug({ statusCode: 503, reason: answer.message }, 'dependency unavailable');
    } else if (answer.code >= 500) request.log.error({ err: error, statusCode: answer.code }, answer.message);
    else request.log.debug({ statusCode: answer.code, reason: answer.message }, 'request refused');
    if (error instanceof HttpError) reply.headers(error.headers);
    return reply.code(answer.code).type('application/json').send(answer);
  });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    return reply.code(404).send({
      code: 404,
      message: `no route ${request.method} ${path.length > 200 ? `${path.slice(0, 200)}…` : path}`,
    } satisfies ApiError);
  });

  await registerSecurityHeaders(app, config.CORS_ORIGINS);
  // After the security headers' hooks, so the controller's error pages carry them as every answer does.
  registerIngressErrors(app, { name: options.name, unavailable: () => dependencies.anyDown() });
  // A query that is not valid percent-encoding is the caller's mistake, answered 400 (with those
  // headers) as the dev gateway does, not parsed into whatever the lenient parser makes of it.
  app.addHook('onRequest', async (request) => {
    const at = request.url.indexOf('?');
    if (at !== -1 && !isPercentEncoded(request.url.slice(at + 1))) throw badRequest('request query is not valid percent-encoding');
  });

  // Shared schemas (app.addSchema) are the document's named components, by their $id: `Error`
  // here, and whatever a service adds (e.g. `User`); routes needing a token name `bearerAuth`.
  app.addSchema(errorSchema);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: options.name, description: options.description, version: options.version },
      components: { schemas: {}, securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: "an access token from the auth service's POST /login" } } },
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
  });
  // Swagger UI at /docs, served by the service itself (not routed through the Ingress). Its pages get
  // the plugin's own CSP (its scripts and styles from 'self') in place of `default-src 'none'`;
  // without upgrade-insecure-requests, which would send its assets to https on a plain-http port-forward.
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    staticCSP: true,
    transformStaticCSP: (header) => header.replace(/\s*upgrade-insecure-requests;?/, ''),
    uiConfig: { deepLinking: true },
  });

  await app.register(metricsPlugin.default, {
    endpoint: { url: '/metrics', method: 'GET', schema: { hide: true }, handler: () => undefined },
    clearRegisterOnInit: true,
    defaultMetrics: { enabled: true },
    routeMetrics: {
      enabled: true,
      // 404s are counted too, all under one route label value.
      registeredRoutesOnly: false,
      invalidRouteGroup: '__not_found__',
      overrides: {
        histogram: {
          name: 'http_request_duration_seconds',
          buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
        },
        // quantile 1 is the maximum in the summary's window: the last 30-60 s (two age buckets of
        // 30 s), not the whole life of the process; each bucket costs a digest update per request.
        summary: { name: 'http_request_summary_seconds', percentiles: [0.5, 0.95, 0.99, 1], maxAgeSeconds: SUMMARY_WINDOW_SECONDS, ageBuckets: 2 },
      },
    },
  });

  dependencies.countOn(app);
  registerProbes(app, options.readiness ?? {}, dependencies);

  app.get('/openapi.json', { schema: { hide: true } }, () => app.swagger());
  return app;
}

// One set of options for the plugin and for the fixed list below (not annotated: @fastify/helmet types it from helmet's CJS typings).
const securityHeaderOptions = {
  contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
  frameguard: { action: 'deny' as const },
  referrerPolicy: { policy: 'no-referrer' as const },
  hsts: false,
};

/** The same headers as a fixed list, for answers written to the socket before Fastify sees a request. */
export const securityHeaders: Readonly<Record<string, string>> = (() => {
  const headers: Record<string, string> = {};
  const collector = {
    setHeader: (name: string, value: string | number) => {
      headers[name] = String(value);
    },
    removeHeader: (name: string) => {
      delete headers[name];
    },
  };
  // helmet's middleware sets static headers synchronously; running it once on a collector gives the list.
  helmetHeaders(securityHeaderOptions)({} as IncomingMessage, collector as unknown as ServerResponse, () => undefined);
  return Object.freeze(headers);
})();

/**
 * Security headers for a JSON API (@fastify/helmet) on every answer, errors included: nosniff, no
 * framing (`X-Frame-Options: DENY`, CSP `default-src 'none'; frame-ancestors 'none'`), no referrer,
 * same-origin resource policy. No HSTS: TLS ends at the Ingress, which adds it (ingress-nginx does on
 * TLS hosts by default); on plain HTTP browsers ignore it.
 * CORS is closed unless CORS_ORIGINS names origins: then @fastify/cors answers preflights for exactly
 * those origins; otherwise no Access-Control-* header is ever sent and a preflight is a 404.
 */
export async function registerSecurityHeaders(app: FastifyInstance, corsOrigins: string | undefined): Promise<void> {
  await app.register(helmet, { global: true, ...securityHeaderOptions });
  const origins = corsOrigins?.split(',').map((origin) => origin.trim()).filter(Boolean) ?? [];
  if (origins.length > 0) {
    await app.register(cors, {
      origin: origins,
      methods: ['GET', 'HEAD', 'POST', 'PUT', 'DELETE'],
      allowedHeaders: ['authorization', 'content-type', 'x-request-id'],
      exposedHeaders: ['location', 'x-request-id', 'x-cache', 'retry-after'],
      maxAge: 600,
      strictPreflight: true,
    });
  }
}

/** Whether text decodes as percent-encoding (`%zz` or a lone `%` does not). */
export function isPercentEncoded(text: string): boolean {
  try {
    decodeURIComponent(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * Exposes a database pool on /metrics, read at each scrape: `db_pool_connections{state}` with
 * state `total` (open), `idle` and `waiting` (requests queued for a connection), and
 * `db_pool_max_connections`. In use = total - idle; waiting above 0 means the pool is the bottleneck.
 */
export function registerDatabasePoolMetrics(app: App, poolStats: () => PoolStats): void {
  const { client } = app.metrics;
  // The registry is the process's; a second server in the same process (tests) takes the names over.
  client.register.removeSingleMetric('db_pool_connections');
  client.register.removeSingleMetric('db_pool_max_connections');
  new client.Gauge({
    name: 'db_pool_connections',
    help: 'Database pool connections: total (open), idle, waiting (requests queued for a connection)',
    labelNames: ['state'],
    collect() {
      const stats = poolStats();
      this.set({ state: 'total' }, stats.total);
      this.set({ state: 'idle' }, stats.idle);
      this.set({ state: 'waiting' }, stats.waiting);
    },
  });
  new client.Gauge({
    name: 'db_pool_max_connections',
    help: 'Upper bound of the database pool (DB_POOL_MAX)',
    collect() {
      this.set(poolStats().max);
    },
  });
}

/**
 * What Node's HTTP parser refuses before Fastify sees a request (raw non-ASCII in the URL, broken
 * headers, headers too large) is answered in the same `{code, message}` shape as everything else.
 */
export function clientErrorHandler(error: Error & { code?: string }, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  let code = 400;
  let message = `malformed HTTP request (${error.message.replace(/^Parse Error:\s*/, '')}); percent-encode non-ASCII characters in the URL`;
  if (error.code === 'HPE_HEADER_OVERFLOW') [code, message] = [431, 'request headers are too large'];
  else if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') [code, message] = [408, 'the request took too long to arrive'];
  const body = JSON.stringify({ code, message } satisfies ApiError);
  const headers = Object.entries(securityHeaders).map(([name, value]) => `${name}: ${value}\r\n`).join('');
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${code} ${STATUS_CODES[code]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${headers}Connection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}

/**
 * Successful requests are logged only at debug: a log line per request at info halves throughput
 * (measured with `pnpm bench http`). Failures are logged by the error handler, with the request id.
 */
class QuietLogController extends LogController {
  private readonly everyRequest: boolean;
  constructor(everyRequest: boolean) {
    super();
    this.everyRequest = everyRequest;
  }
  override incomingRequest(): void {}
  override routeNotFound(): void {}
  override requestCompleted(_error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (!this.everyRequest) return;
    request.log.debug(
      { method: request.method, url: request.url, statusCode: reply.statusCode, ms: Math.round(reply.elapsedTime) },
      'request completed',
    );
  }
}

function registerProbes(app: App, checks: Record<string, ReadinessCheck>, dependencies: DependencyStates) {
  const ok = { type: 'object', properties: { status: { type: 'string' } } } as const;
  const failed = { type: 'object', required: ['code', 'message'], properties: { code: { type: 'integer' }, message: { type: 'string' } } } as const;
  app.get('/health', { schema: { summary: 'Liveness: the process is fine', tags: ['probes'], response: { 200: ok } } }, () => ({
    status: 'OK',
  }));
  app.get(
    '/ready',
    {
      schema: {
        summary: 'Readiness: dependencies answer and no shutdown is under way',
        tags: ['probes'],
        response: { 200: ok, 503: failed },
      },
    },
    async (_request, reply) => {
      if (app.shuttingDown) return reply.code(503).send({ code: 503, message: 'not ready: shutting down' });
      const failures: string[] = [];
      await Promise.all(
        Object.entries(checks).map(async ([name, check]) => {
          try {
            await withTimeout(check(), READINESS_TIMEOUT_MS, `${name} did not answer within ${READINESS_TIMEOUT_MS} ms`);
            dependencies.up(name);
          } catch (err) {
            // The caller learns what is down, never where it lives or why (that goes to the log).
            failures.push(`${name} unavailable`);
            dependencies.down(name, err instanceof Error ? err.message : String(err));
          }
        }),
      );
      if (failures.length > 0) return reply.code(503).send({ code: 503, message: `not ready: ${failures.join('; ')}` });
      return { status: 'OK' };
    },
  );
}

const RECOVERY_PROBE_MS = 1000;
// A dependency without a readiness check counts as back once no failure was seen for this long.
const QUIET_RECOVERY_MS = 10_000;

/**
 * Which dependencies are down, as requests and readiness checks find out. A change of state is
 * logged once (warn when it goes, info when it is back) and each outage is counted in
 * `dependency_outages_total{dependency}`; while one is down its readiness check is retried every
 * second, so its return is noticed even when nothing polls /ready.
 */
class DependencyStates {
  private readonly log: FastifyBaseLogger;
  private readonly checks: Record<string, ReadinessCheck>;
  private readonly downSince = new Map<string, { since: number; lastSeen: number; probe?: NodeJS.Timeout }>();
  private counter: { inc(labels: { dependency: string }): void } | undefined;
  private stopped = false;

  constructor(log: FastifyBaseLogger, checks: Record<string, ReadinessCheck>) {
    this.log = log;
    this.checks = checks;
  }

  countOn(app: App): void {
    const { client } = app.metrics;
    // The registry is the process's; a second server in the same process (tests) takes the name over.
    client.register.removeSingleMetric('dependency_outages_total');
    this.counter = new client.Counter({
      name: 'dependency_outages_total',
      help: 'Times a dependency (database, redis, …) was found unavailable after being available',
      labelNames: ['dependency'],
    });
  }

  down(name: string, reason: string): void {
    const now = Date.now();
    const state = this.downSince.get(name);
    if (state && (this.checks[name] || now - state.lastSeen < QUIET_RECOVERY_MS)) {
      state.lastSeen = now;
      return;
    }
    if (state) clearTimeout(state.probe);
    const fresh: { since: number; lastSeen: number; probe?: NodeJS.Timeout } = { since: now, lastSeen: now };
    this.downSince.set(name, fresh);
    this.counter?.inc({ dependency: name });
    this.log.warn({ dependency: name, reason }, `${name} is unavailable; answering 503 until it is back`);
    const check = this.checks[name];
    if (!check || this.stopped) return;
    const probe = () => {
      fresh.probe = setTimeout(() => {
        withTimeout(check(), READINESS_TIMEOUT_MS, 'no answer').then(
          () => this.up(name),
          () => this.downSince.get(name) === fresh && !this.stopped && probe(),
        );
      }, RECOVERY_PROBE_MS).unref();
    };
    probe();
  }

  anyDown(): boolean {
    return this.downSince.size > 0;
  }

  up(name: string): void {
    const state = this.downSince.get(name);
    if (!state) return;
    clearTimeout(state.probe);
    this.downSince.delete(name);
    this.log.info({ dependency: name, downMs: Date.now() - state.since }, `${name} is available again`);
  }

  stop(): void {
    this.stopped = true;
    for (const state of this.downSince.values()) clearTimeout(state.probe);
  }
}

/** What a 503 says is down: the HttpError's dependency, the database for a connection error, else its message. */
function unavailableDependency(error: Error, message: string): string {
  if (error instanceof HttpError) return error.dependency ?? message;
  return isUnavailableError(error) ? 'database' : message;
}

function describeCause(error: Error): string {
  const cause = error instanceof HttpError && error.cause !== undefined ? error.cause : error;
  return cause instanceof Error ? cause.message : String(cause);
}

export async function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(message)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

const MAX_PARAM_LENGTH = 100; // Fastify's default maxParamLength

/** What the router's own refusals look like to a caller. */
export function frameworkError(error: FastifyError): ApiError {
  switch (error.code) {
    case 'FST_ERR_BAD_URL':
      return { code: 400, message: 'request path is not a valid URL (bad percent-encoding)' };
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return { code: 414, message: `a path parameter is longer than ${MAX_PARAM_LENGTH} characters` };
    default:
      return { code: 500, message: 'internal server error' };
  }
}

/** Maps anything thrown in a request to what the caller may see. A 500 never carries internals. */
export function toApiError(error: FastifyError | Error, bodyLimit: number, contentType?: string): ApiError {
  if (error instanceof HttpError) return { code: error.statusCode, message: error.message };
  const fastifyError = error as FastifyError;
  if (fastifyError.validation) return { code: 400, message: error.message };
  switch (fastifyError.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { code: 413, message: `request body is larger than the limit of ${bodyLimit} bytes` };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { code: 415, message: `unsupported media type ${JSON.stringify(contentType?.slice(0, 100) ?? '')}; send application/json` };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { code: 400, message: 'request body is empty but content-type is application/json' };
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return { code: 400, message: 'request body is not valid JSON' };
  }
  if (isUnavailableError(error)) return { code: 503, message: 'database is unavailable, try again later' };
  const status = fastifyError.statusCode;
  if (error instanceof SyntaxError && status === 400) return { code: 400, message: 'request body is not valid JSON' };
  if (typeof status === 'number' && status >= 400 && status < 500) return { code: status, message: error.message };
  return { code: 500, message: 'internal server error' };
}
