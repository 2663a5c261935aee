import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

/**
 * The public URL contract, as the charts' Ingress objects write it: one entry per Ingress, with
 * ingress-nginx's regex paths and annotations. Its one source is each service chart's
 * `ingress.routes` in charts/<service>/values.yaml, which the chart renders into Ingresses and the
 * dev gateway reads here; a chart test checks that the rendered Ingresses read back to this table.
 */
export type ServiceName = 'app' | 'auth' | 'product';

/** The services with a chart, in the order the local stack starts them. */
export const serviceNames: readonly ServiceName[] = ['app', 'auth', 'product'];

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

/** The repository's charts/ folder (this file is packages/local/src/ or, built, packages/local/dist/). */
export const chartsDir = fileURLToPath(new URL('../../../charts/', import.meta.url));

/** A service chart's route table (`ingress.routes` of its values.yaml), checked entry by entry. */
export function readChartRoutes(service: ServiceName, dir: string = chartsDir): IngressRoute[] {
  const file = join(dir, service, 'values.yaml');
  const values = parse(readFileSync(file, 'utf8')) as { ingress?: { routes?: unknown } } | null;
  const routes = values?.ingress?.routes;
  if (!Array.isArray(routes)) throw new Error(`${file}: ingress.routes must be a list of routes`);
  return routes.map((entry: unknown, i) => asRoute(entry, service, `${file}: ingress.routes[${i}]`));
}

function asRoute(entry: unknown, service: ServiceName, where: string): IngressRoute {
  if (typeof entry !== 'object' || entry === null) throw new Error(`${where} must be a mapping`);
  const { name, paths, rewriteTarget, forwardedPrefix, forwardAuth } = entry as Record<string, unknown>;
  if (typeof name !== 'string' || !/^[a-z0-9-]+$/.test(name)) throw new Error(`${where}.name must be a lower-case name`);
  if (!Array.isArray(paths) || paths.length === 0 || !paths.every((path) => typeof path === 'string' && path.startsWith('/'))) {
    throw new Error(`${where}.paths must be a list of paths starting with /`);
  }
  for (const [key, value] of Object.entries({ rewriteTarget, forwardedPrefix })) {
    if (value !== undefined && typeof value !== 'string') throw new Error(`${where}.${key} must be a string`);
  }
  if (typeof forwardAuth !== 'boolean') throw new Error(`${where}.forwardAuth must be true or false`);
  return {
    name,
    service,
    paths: paths as string[],
    ...(typeof rewriteTarget === 'string' ? { rewriteTarget } : {}),
    ...(typeof forwardedPrefix === 'string' ? { forwardedPrefix } : {}),
    forwardAuth,
  };
}

// Only the public contract is routed: each service's probes, /metrics, /openapi.json and auth's
// /verify stay on the cluster network (an unmatched path is the gateway's 404).
export const ingressRoutes: IngressRoute[] = serviceNames.flatMap((service) => readChartRoutes(service));

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
