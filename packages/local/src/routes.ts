/**
 * The public URL contract, written the way the charts' Ingress objects write it: one entry per
 * Ingress, with ingress-nginx's regex paths and annotations. The dev gateway serves exactly this
 * table, and a chart test compares it with the rendered Ingresses so the two cannot drift.
 */
export type ServiceName = 'app' | 'auth' | 'product';

export interface IngressRoute {
  /** Ingress object name suffix (the chart's `<release>-<name>`). */
  name: string;
  service: ServiceName;
  /** Regex paths (`pathType: ImplementationSpecific`, `use-regex: "true"`). */
  paths: string[];
  /** `nginx.ingress.kubernetes.io/rewrite-target`, with `$n` capture references. */
  rewriteTarget?: string;
  /** `nginx.ingress.kubernetes.io/x-forwarded-prefix`: where the service is mounted publicly. */
  forwardedPrefix?: string;
  /** Goes through forward-auth (`nginx.ingress.kubernetes.io/auth-url`) before the service. */
  forwardAuth: boolean;
}

// Only the public contract is routed: each service's probes, /metrics, /openapi.json and auth's
// /verify stay on the cluster network (an unmatched path is the gateway's 404).
export const ingressRoutes: IngressRoute[] = [
  {
    // Public: the liveness answer, also as the first homework's `GET /health/`.
    name: 'app',
    service: 'app',
    paths: ['/otusapp/(health/?)$'],
    rewriteTarget: '/$1',
    forwardedPrefix: '/otusapp',
    forwardAuth: false,
  },
  {
    // The profiles: a request gets here only with a token the auth service accepts.
    name: 'app-protected',
    service: 'app',
    paths: ['/otusapp/(user(/[^/]*)?/?)$'],
    rewriteTarget: '/$1',
    forwardedPrefix: '/otusapp',
    forwardAuth: true,
  },
  {
    name: 'auth',
    service: 'auth',
    paths: ['/auth/(register|login|logout|jwks\\.json)/?$'],
    rewriteTarget: '/$1',
    forwardedPrefix: '/auth',
    forwardAuth: false,
  },
  {
    name: 'product',
    service: 'product',
    // service-local paths are the public ones; admin writes are checked by the service itself
    paths: ['/products(/[^/]*|/search)?/?$'],
    forwardAuth: false,
  },
];

/** The auth service's forward-auth endpoint (the Ingress `auth-url` is `http://<auth service>/verify`). */
export const forwardAuthPath = '/verify';
/** Headers of the auth answer copied onto the upstream request (the Ingress `auth-response-headers`). */
export const authResponseHeaders = ['X-User-Id', 'X-User-Name', 'X-User-Role'];

/** ingress-nginx puts every regex location in one server block, longest path first, case-insensitive. */
export interface CompiledRoute {
  route: IngressRoute;
  path: string;
  pattern: RegExp;
}

export function compileRoutes(routes: IngressRoute[]): CompiledRoute[] {
  return routes
    .flatMap((route) => route.paths.map((path) => ({ route, path, pattern: new RegExp(`^${path}`, 'i') })))
    .sort((a, b) => b.path.length - a.path.length);
}

export interface RouteMatch {
  route: IngressRoute;
  /** The path the service receives, after rewrite-target. */
  upstreamPath: string;
}

export function matchRoute(compiled: CompiledRoute[], pathname: string): RouteMatch | undefined {
  for (const candidate of compiled) {
    if (!candidate.pattern.test(pathname)) continue;
    const { rewriteTarget } = candidate.route;
    const upstreamPath = rewriteTarget === undefined ? pathname : pathname.replace(candidate.pattern, rewriteTarget);
    return { route: candidate.route, upstreamPath: upstreamPath.startsWith('/') ? upstreamPath : `/${upstreamPath}` };
  }
  return undefined;
}
