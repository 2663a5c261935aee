import { randomUUID } from 'node:crypto';
import { posix } from 'node:path';
import fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import replyFrom from '@fastify/reply-from';
import { clientErrorHandler } from '@arch/kit';
import { authResponseHeaders, compileRoutes, forwardAuthPath, matchRoute, type IngressRoute, type ServiceName } from './routes.ts';

export interface GatewayOptions {
  routes: IngressRoute[];
  /** Base URLs of each service's instances, e.g. `{ app: ['http://127.0.0.1:8001'] }`. */
  upstreams: Partial<Record<ServiceName, string[]>>;
  logLevel?: string;
  logStream?: NodeJS.WritableStream;
  /** How long the forward-auth check may take (ingress-nginx: proxy timeouts of the auth location). Default 5000 ms. */
  authTimeoutMs?: number;
}

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
    // Bodies stream through untouched; the service enforces its own limit.
    bodyLimit: 16 * 1024 * 1024,
  });
  await app.register(replyFrom, {
    disableRequestLogging: true,
    undici: { connections: 128, pipelining: 1, keepAliveTimeout: 30_000, headersTimeout: 30_000, bodyTimeout: 30_000 },
  });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload));

  const compiled = compileRoutes(options.routes);
  const next: Partial<Record<ServiceName, number>> = {};
  const pickInstance = (service: ServiceName): string | undefined => {
    const instances = options.upstreams[service];
    if (!instances?.length) return undefined;
    const index = (next[service] ?? 0) % instances.length;
    next[service] = index + 1;
    return instances[index];
  };

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
    request.log.warn({ status: answer.status }, 'forward-auth answered an unexpected status');
    reply.code(500).send({ code: 500, message: `auth service answered ${answer.status}` });
    return undefined;
  };

  const proxy = async (request: FastifyRequest, reply: FastifyReply) => {
    const [rawPath = '/', query] = splitUrl(request.url);
    const pathname = normalizePath(rawPath);
    if (pathname === undefined) return reply.code(400).send({ code: 400, message: 'request path is not valid percent-encoding' });
    const match = matchRoute(compiled, pathname);
    if (!match) return reply.code(404).send({ code: 404, message: `no route ${request.method} ${pathname.slice(0, 200)}` });
    let identity: Record<string, string> = {};
    if (match.route.forwardAuth) {
      const granted = await forwardAuth(request, reply);
      if (!granted) return reply;
      identity = granted;
    }
    const base = pickInstance(match.route.service);
    if (!base) return reply.code(503).send({ code: 503, message: `${match.route.service} service is not running` });
    const { forwardedPrefix } = match.route;
    return reply.from(`${base}${encodePath(match.upstreamPath)}${query === undefined ? '' : `?${query}`}`, {
      rewriteRequestHeaders: (original, headers) => {
        const upstream: Record<string, string | string[] | undefined> = { ...headers };
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
        request.log.warn({ service: match.route.service, err: { message: error.message } }, 'upstream failed');
        errorReply.code(502).send({ code: 502, message: `${match.route.service} service did not answer` });
      },
    });
  };
  app.all('/', proxy);
  app.all('/*', proxy);
  return app;
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
