import { randomUUID } from 'node:crypto';
import { posix } from 'node:path';
import fastify, { LogController, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import replyFrom from '@fastify/reply-from';
import { clientErrorHandler, frameworkError, isPercentEncoded, registerSecurityHeaders, securityHeaders, toApiError } from '@arch/kit';
import { authResponseHeaders, compileRoutes, forwardAuthPath, matchRoute, type IngressRoute, type ServiceName } from './routes.ts';

export interface GatewayOptions {
  routes: IngressRoute[];
  /** Base URLs of each service's instances, e.g. `{ app: ['http://127.0.0.1:8001'] }`. */
  upstreams: Partial<Record<ServiceName, string[]>>;
  logLevel?: string;
  logStream?: NodeJS.WritableStream;
  /** How long the forward-auth check may take (ingress-nginx: proxy timeouts of the auth location). Default 5000 ms. */
  authTimeoutMs?: number;
  /**
   * How often each instance's `/ready` is asked when a service has several (a Kubernetes readiness
   * probe's `periodSeconds`, shortened). Default 250 ms. With one instance nothing is polled.
   */
  readinessIntervalMs?: number;
}

/**
 * ingress-nginx's `proxy-body-size` default (`client_max_body_size 1m`), which the charts keep: a
 * body declared larger is refused at the edge with 413, before 100 Continue and before the service.
 */
const GATEWAY_BODY_LIMIT = 1024 * 1024;
const identityHeaders = authResponseHeaders.map((name) => name.toLowerCase());

class SilentRequests extends LogController {
  override incomingRequest(): void {}
  override requestCompleted(): void {}
  override routeNotFound(): void {}
}

/**
 * The dev gateway: what the Ingress does in the cluster, on a laptop. Paths, rewrites and
 * forwarded prefixes come from the same table as the charts; the proxying is @fastify/reply-from's.
 */
export async function createGateway(options: GatewayOptions): Promise<FastifyInstance> {
  const app = fastify({
    logger: { level: options.logLevel ?? 'info', base: { service: 'gateway' }, ...(options.logStream ? { stream: options.logStream } : {}) },
    logController: new SilentRequests(),
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.:-]{1,128}$/.test(given) ? given : randomUUID();
    },
    clientErrorHandler,
    // A request without Host is refused below as {code, message}, not with Node's empty 400.
    http: { requireHostHeader: false },
    // Bodies stream through untouched; a declared length over the limit is refused below.
    bodyLimit: GATEWAY_BODY_LIMIT,
    // What the gateway refuses itself is {code, message} too, like ingress-nginx's custom errors.
    frameworkErrors: (error, request, reply) => {
      const answer = frameworkError(error);
      // Refused before routing, so the header hooks have not run: set them here.
      void (reply as FastifyReply).code(answer.code).headers({ ...securityHeaders, 'x-request-id': request.id }).type('application/json').send(answer);
    },
  });
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const answer = toApiError(error, GATEWAY_BODY_LIMIT, request.headers['content-type']);
    if (answer.code >= 500) request.log.error({ err: error }, 'gateway failed');
    return reply.code(answer.code).type('application/json').send(answer);
  });
  // The gateway's own answers carry the services' security headers and the request id too.
  await registerSecurityHeaders(app, undefined);
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  // An Expect other than 100-continue: Node would answer an empty 417 itself; answer it here instead.
  app.server.on('checkExpectation', (req, res) => app.server.emit('request', req, res));
  // As nginx: 100 Continue only for a body the edge would take; a larger one gets the 413 alone.
  app.server.on('checkContinue', (req, res) => {
    if (!declaresTooLarge(req.headers['content-length'])) res.writeContinue();
    app.server.emit('request', req, res);
  });
  app.addHook('onRequest', async (request, reply) => {
    const expect = request.headers.expect;
    if (expect !== undefined && expect.toLowerCase() !== '100-continue') {
      return reply.code(417).send({ code: 417, message: 'only "Expect: 100-continue" is supported' });
    }
    if (!request.headers.host && request.raw.httpVersionMajor === 1 && request.raw.httpVersionMinor >= 1) {
      return reply.code(400).send({ code: 400, message: 'the Host header is required' });
    }
    if (declaresTooLarge(request.headers['content-length'])) {
      // The body is not read: the connection cannot carry another request after it.
      return reply.code(413).header('connection', 'close').send({ code: 413, message: `request body is larger than the limit of ${GATEWAY_BODY_LIMIT} bytes` });
    }
    return undefined;
  });
  await app.register(replyFrom, {
    disableRequestLogging: true,
    undici: { connections: 128, pipelining: 1, keepAliveTimeout: 30_000, headersTimeout: 30_000, bodyTimeout: 30_000 },
  });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload));

  const compiled = compileRoutes(options.routes);
  const pools = new Map<ServiceName, UpstreamPool>();
  for (const [service, urls] of Object.entries(options.upstreams) as Array<[ServiceName, string[] | undefined]>) {
    if (urls?.length) pools.set(service, new UpstreamPool(urls, options.readinessIntervalMs ?? 250));
  }
  app.addHook('onClose', async () => {
    for (const pool of pools.values()) pool.stop();
  });
  const pickInstance = (service: ServiceName, avoid?: string): string | undefined => pools.get(service)?.pick(avoid);

  /**
   * Forward-auth as ingress-nginx does it: a GET to the auth service with the original
   * Authorization header and X-Original-URL/-Method. 2xx: the identity headers of its answer go
   * upstream; 401/403: that status goes to the client; anything else: 500; no answer: 503.
   */
  const forwardAuth = async (request: FastifyRequest, reply: FastifyReply): Promise<Record<string, string> | undefined> => {
    const base = pickInstance('auth');
    if (!base) {
      reply.code(503).send({ code: 503, message: 'auth service is not running' });
      return undefined;
    }
    let answer: Response;
    try {
      answer = await fetch(`${base}${forwardAuthPath}`, {
        headers: {
          ...(typeof request.headers.authorization === 'string' ? { authorization: request.headers.authorization } : {}),
          'x-original-url': `http://${request.headers.host ?? 'localhost'}${request.url}`,
          'x-original-method': request.method,
          'x-request-id': request.id,
          'x-real-ip': request.ip,
          'x-forwarded-for': request.ip,
        },
        signal: AbortSignal.timeout(options.authTimeoutMs ?? 5000),
      });
    } catch (err) {
      request.log.warn({ err: { message: (err as Error).message } }, 'forward-auth failed');
      reply.code(503).send({ code: 503, message: 'auth service did not answer' });
      return undefined;
    }
    if (answer.ok) {
      await answer.body?.cancel();
      const identity: Record<string, string> = {};
      for (const name of identityHeaders) {
        const value = answer.headers.get(name);
        if (value) identity[name] = value;
      }
      return identity;
    }
    if (answer.status === 401 || answer.status === 403) {
      const body = (await answer.json().catch(() => undefined)) as { message?: unknown } | undefined;
      const challenge = answer.headers.get('www-authenticate');
      if (challenge) reply.header('www-authenticate', challenge);
      const message = typeof body?.message === 'string' ? body.message : answer.status === 401 ? 'authentication required' : 'forbidden';
      reply.code(answer.status).send({ code: answer.status, message });
      return undefined;
    }
    await answer.body?.cancel();
    if (answer.status === 503) {
      // The auth service cannot check tokens right now (its database or Redis is away): retryable.
      const retryAfter = answer.headers.get('retry-after');
      if (retryAfter) reply.header('retry-after', retryAfter);
      reply.code(503).send({ code: 503, message: 'authentication is unavailable, try again later' });
      return undefined;
    }
    request.log.warn({ status: answer.status }, 'forward-auth answered an unexpected status');
    reply.code(500).send({ code: 500, message: `auth service answered ${answer.status}` });
    return undefined;
  };

  const proxy = async (request: FastifyRequest, reply: FastifyReply) => {
    const [rawPath = '/', query] = splitUrl(request.url);
    const pathname = normalizePath(rawPath);
    if (pathname === undefined) return reply.code(400).send({ code: 400, message: 'request path is not valid percent-encoding' });
    if (query !== undefined && !isPercentEncoded(query)) return reply.code(400).send({ code: 400, message: 'request query is not valid percent-encoding' });
    const match = matchRoute(compiled, pathname);
    if (!match) return reply.code(404).send({ code: 404, message: `no route ${request.method} ${pathname.slice(0, 200)}` });
    let identity: Record<string, string> = {};
    if (match.route.forwardAuth) {
      const granted = await forwardAuth(request, reply);
      if (!granted) return reply;
      identity = granted;
    }
    const first = pickInstance(match.route.service);
    if (!first) return reply.code(503).send({ code: 503, message: `${match.route.service} service is not running` });
    const { forwardedPrefix } = match.route;
    const target = `${encodePath(match.upstreamPath)}${query === undefined ? '' : `?${query}`}`;
    const send = (base: string, attempt: number): FastifyReply => reply.from(`${base}${target}`, {
      // Sent once: reply-from would repeat a GET that got 503 up to ten times, multiplying the load of an outage.
      retryDelay: () => null,
      rewriteRequestHeaders: (original, headers) => {
        const upstream: Record<string, string | string[] | undefined> = { ...headers };
        // Node has already answered 100 Continue to the client; undici refuses to send Expect on.
        delete upstream.expect;
        // Identity headers come from the auth answer only; whatever the client sent is dropped.
        for (const name of identityHeaders) delete upstream[name];
        return {
          ...upstream,
          ...identity,
          'x-request-id': request.id,
          'x-real-ip': original.ip,
          'x-forwarded-for': original.ip,
          'x-forwarded-host': original.headers.host ?? '',
          'x-forwarded-proto': 'http',
          ...(forwardedPrefix ? { 'x-forwarded-prefix': forwardedPrefix } : {}),
        };
      },
      onError: (errorReply, { error }) => {
        // As ingress-nginx's proxy_next_upstream (error): a request without a body whose instance
        // could not be reached or dropped the connection goes once to another instance. A request
        // with a body (POST, PUT…) is never sent twice: the first may have been applied.
        if (attempt === 0 && !hasBody(request) && isConnectionError(error)) {
          pools.get(match.route.service)?.markDown(base);
          const other = pickInstance(match.route.service, base);
          if (other && other !== base) {
            request.log.info({ service: match.route.service, err: { message: error.message } }, 'upstream failed; trying another instance');
            send(other, 1);
            return;
          }
        }
        request.log.warn({ service: match.route.service, err: { message: error.message } }, 'upstream failed');
        errorReply.code(502).send({ code: 502, message: `${match.route.service} service did not answer` });
      },
    });
    return send(first, 0);
  };
  app.all('/', proxy);
  app.all('/*', proxy);
  return app;
}

/**
 * The instances of one service, round-robin over those whose `/ready` answers 200, the way a
 * Kubernetes Service only lists ready endpoints: an instance that starts shutting down fails
 * `/ready` first, the next poll takes it out, and it finishes its in-flight requests undisturbed.
 * When no instance is ready, every one is tried (the answer then says what is wrong). Hand-written
 * rather than undici's BalancedPool because @fastify/reply-from builds that pool itself from fixed
 * bases and one gateway registration serves every service.
 */
export class UpstreamPool {
  readonly urls: string[];
  private readonly ready: boolean[];
  private next = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(urls: string[], intervalMs: number) {
    this.urls = [...urls];
    this.ready = urls.map(() => true);
    if (urls.length > 1) this.poll(intervalMs);
  }

  /** The next ready instance, other than `avoid` when there is another. */
  pick(avoid?: string): string | undefined {
    const count = this.urls.length;
    for (const onlyReady of [true, false]) {
      for (let step = 0; step < count; step++) {
        const index = (this.next + step) % count;
        if ((onlyReady && !this.ready[index]) || (count > 1 && this.urls[index] === avoid)) continue;
        this.next = index + 1;
        return this.urls[index];
      }
    }
    return this.urls[0];
  }

  /** Out of rotation until its `/ready` answers 200 again. */
  markDown(url: string): void {
    const index = this.urls.indexOf(url);
    if (index !== -1 && this.urls.length > 1) this.ready[index] = false;
  }

  isReady(url: string): boolean {
    return this.ready[this.urls.indexOf(url)] ?? false;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private poll(intervalMs: number): void {
    const round = async () => {
      await Promise.all(
        this.urls.map(async (url, index) => {
          try {
            const answer = await fetch(`${url}/ready`, { signal: AbortSignal.timeout(Math.max(intervalMs * 2, 1000)) });
            await answer.body?.cancel();
            this.ready[index] = answer.ok;
          } catch {
            this.ready[index] = false;
          }
        }),
      );
      if (!this.stopped) this.timer = setTimeout(round, intervalMs).unref();
    };
    this.timer = setTimeout(round, 0).unref();
  }
}

function declaresTooLarge(contentLength: string | undefined): boolean {
  return contentLength !== undefined && Number(contentLength) > GATEWAY_BODY_LIMIT;
}

function hasBody(request: FastifyRequest): boolean {
  const length = request.headers['content-length'];
  return request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

function isConnectionError(error: Error): boolean {
  for (let e: unknown = error, depth = 0; e && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^(ECONNREFUSED|ECONNRESET|EPIPE|UND_ERR_SOCKET|UND_ERR_CLOSED|FST_REPLY_FROM_ECONNRESET|FST_REPLY_FROM_UND_ERR_SOCKET)$/.test(code)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * The path as nginx matches locations: percent-decoded, duplicate slashes merged, dot segments
 * resolved; so `/otusapp/%75ser/1` or `/otusapp//user/1` cannot slip past a protected location.
 */
export function normalizePath(path: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return undefined;
  }
  const normalized = posix.normalize(decoded.replace(/\/{2,}/g, '/'));
  return normalized.startsWith('/') ? normalized : `/${normalized}`;
}

/** Back to a URL path: what decoding turned into `?` or `#` must not become a query or a fragment. */
function encodePath(path: string): string {
  return encodeURI(path).replace(/[?#]/g, (c) => encodeURIComponent(c));
}

function splitUrl(url: string): [string, string | undefined] {
  const at = url.indexOf('?');
  return at === -1 ? [url, undefined] : [url.slice(0, at), url.slice(at + 1)];
}
