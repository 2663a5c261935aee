/**
 * The Ingress's error backend, in every service: ingress-nginx's `custom-http-errors` +
 * `default-backend` annotations send the codes they list to a Service with an `X-Code` header (and
 * X-Original-URI, X-Service-Name, X-Request-ID, …), where this hook answers them as `{code, message}`,
 * so a refusal made by the controller itself (forward-auth's 401, an oversized body, an upstream
 * that does not answer, a path no Ingress routes) is as JSON as the services' own.
 *
 * It is a hook, not a route: the controller asks `/` from its error pages, but sends the request's own
 * (rewritten) path with `X-Code: 503` when a Service has no ready pod, and either must be answered.
 */
import { STATUS_CODES } from 'node:http';
import type { FastifyRequest } from 'fastify';
import type { ApiError } from './errors.ts';
import type { App } from './server.ts';

/** What the controller refused, named the way a client can act on it. */
type Describe = (request: FastifyRequest) => string;

const header = (request: FastifyRequest, name: string): string | undefined => {
  const value = request.headers[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
};
const service = (request: FastifyRequest) => {
  const name = header(request, 'x-service-name');
  return name ? `service ${name}` : 'the service';
};
const originalPath = (request: FastifyRequest) => {
  const path = (header(request, 'x-original-uri') ?? request.url).split('?')[0] ?? '';
  return path.length > 200 ? `${path.slice(0, 200)}…` : path;
};

const messages: Record<number, Describe> = {
  401: () => 'missing or invalid bearer token',
  403: () => 'the token does not allow this request',
  // the same wording as the kit's own 404 for an unknown route
  404: (request) => `no route ${request.method} ${originalPath(request)}`,
  413: () => 'request body too large',
  // on forward-auth routes: the auth endpoint failed, or the service did
  500: () => 'internal server error (the token could not be checked, or the service failed)',
  502: (request) => `${service(request)} did not answer`,
  503: (request) => `${service(request)} has no ready instance`,
  504: (request) => `${service(request)} did not answer in time`,
};

/**
 * What this service knows of itself when it answers the error pages: ingress-nginx's auth_request
 * turns every forward-auth answer that is not 2xx, 401 or 403 into its own 500, so a 503 from
 * /verify (its database or Redis away) reaches the error backend as X-Code 500. The auth service is
 * that backend, and when one of its dependencies is down that 500 is its outage: a retryable 503.
 */
export interface ErrorBackendState {
  /** The service's name, for the message. */
  name: string;
  /** True while a dependency of this service is known to be down. */
  unavailable(): boolean;
}

/** The error an `X-Code` header asks for, or undefined when the request is an ordinary one. */
export function ingressError(request: FastifyRequest, state?: ErrorBackendState): ApiError | undefined {
  const code = Number(header(request, 'x-code'));
  if (!Number.isInteger(code) || code < 400 || code > 599) return undefined;
  if (code === 500 && state?.unavailable()) return { code: 503, message: `the request could not be checked: ${state.name} is unavailable, retry later` };
  const describe = messages[code];
  const message = describe ? describe(request) : (STATUS_CODES[code] ?? 'error').toLowerCase();
  return { code, message };
}

/** Answers every request that carries an error code from the ingress controller, before routing and body parsing. */
export function registerIngressErrors(app: App, state?: ErrorBackendState): void {
  app.addHook('onRequest', (request, reply, done) => {
    const answer = ingressError(request, state);
    if (!answer) return done();
    request.log.debug({ statusCode: answer.code, originalUri: header(request, 'x-original-uri') }, 'ingress error page');
    void reply.code(answer.code).type('application/json').header('cache-control', 'no-store').send(answer);
  });
}
