import { randomUUID } from 'node:crypto';
import fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import replyFrom from '@fastify/reply-from';
import { compileRoutes, matchRoute, type IngressRoute, type ServiceName } from './routes.ts';

export interface GatewayOptions {
  routes: IngressRoute[];
  /** Base URLs of each service's instances, e.g. `{ app: ['http://127.0.0.1:8001'] }`. */
  upstreams: Partial<Record<ServiceName, string[]>>;
  logLevel?: string;
  logStream?: NodeJS.WritableStream;
}

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

  const proxy = async (request: FastifyRequest, reply: FastifyReply) => {
    const [pathname = '/', query] = splitUrl(request.url);
    const match = matchRoute(compiled, pathname);
    if (!match) return reply.code(404).send({ code: 404, message: `no route ${request.method} ${pathname.slice(0, 200)}` });
    const base = pickInstance(match.route.service);
    if (!base) return reply.code(503).send({ code: 503, message: `${match.route.service} service is not running` });
    const { forwardedPrefix } = match.route;
    return reply.from(`${base}${match.upstreamPath}${query === undefined ? '' : `?${query}`}`, {
      rewriteRequestHeaders: (original, headers) => ({
        ...headers,
        'x-request-id': request.id,
        'x-real-ip': original.ip,
        'x-forwarded-for': original.ip,
        'x-forwarded-host': original.headers.host ?? '',
        'x-forwarded-proto': 'http',
        ...(forwardedPrefix ? { 'x-forwarded-prefix': forwardedPrefix } : {}),
      }),
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

function splitUrl(url: string): [string, string | undefined] {
  const at = url.indexOf('?');
  return at === -1 ? [url, undefined] : [url.slice(0, at), url.slice(at + 1)];
}
