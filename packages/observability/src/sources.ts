/**
 * Where each metric a dashboard or alert uses comes from, and so what the proof may demand of a
 * query: data (the local stack, its exporters and Prometheus make these metrics) or only that it
 * parses (ingress-nginx, cAdvisor and kube-state-metrics exist only in a cluster). A metric that
 * no entry claims is an error: a new metric gets a source here before a panel uses it.
 */
import { serviceMetrics, type ServiceName } from './contract.ts';

export type Expectation = 'data' | 'parse';

export interface MetricSource {
  source: string;
  match: (metric: string) => boolean;
  expectation: Expectation;
  /** Only a running service of this name makes the metric. */
  requiresService?: ServiceName;
}

const prefix = (start: string) => (metric: string) => metric.startsWith(start);
const exactly = (name: string) => (metric: string) => metric === name;

export const metricSources: MetricSource[] = [
  {
    source: 'services',
    match: (metric) => [serviceMetrics.requests, serviceMetrics.requestSummary, serviceMetrics.dbPool, serviceMetrics.dbPoolMax].some((name) => metric.startsWith(name)),
    expectation: 'data',
  },
  { source: 'services (Node.js process)', match: (metric) => metric.startsWith('process_') || metric.startsWith('nodejs_'), expectation: 'data' },
  { source: 'product cache', match: exactly(serviceMetrics.cacheRequests), expectation: 'data', requiresService: 'product' },
  { source: 'prometheus', match: exactly('up'), expectation: 'data' },
  { source: 'postgres_exporter', match: prefix('pg_'), expectation: 'data' },
  { source: 'redis_exporter', match: prefix('redis_'), expectation: 'data' },
  { source: 'ingress-nginx', match: prefix('nginx_ingress_controller_'), expectation: 'parse' },
  { source: 'cAdvisor', match: prefix('container_'), expectation: 'parse' },
  { source: 'kube-state-metrics', match: prefix('kube_'), expectation: 'parse' },
];

const KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'inf', 'nan']);

/** The metric names a PromQL expression reads. */
export function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = new Set<string>();
  // Not preceded by a digit or a dot: `1m`, `0.5e3` are numbers and durations, not names.
  for (const match of stripped.matchAll(/(?<![\w.:])[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const name = match[0];
    const rest = stripped.slice((match.index ?? 0) + name.length);
    if (/^\s*\(/.test(rest) || KEYWORDS.has(name.toLowerCase())) continue;
    names.add(name);
  }
  return [...names];
}

export interface Classification {
  metrics: string[];
  sources: string[];
  /** data: every metric comes from something the proof runs. parse: at least one exists only in a cluster. */
  expectation: Expectation;
  /** Services that must run for it to have data. */
  requires: ServiceName[];
}

export function classify(expr: string): Classification {
  const metrics = metricNames(expr);
  if (metrics.length === 0) throw new Error(`no metric in ${expr}`);
  const sources = metrics.map((metric) => {
    const source = metricSources.find((candidate) => candidate.match(metric));
    if (!source) throw new Error(`metric ${metric} has no source in packages/observability/src/sources.ts (in ${expr})`);
    return source;
  });
  return {
    metrics,
    sources: [...new Set(sources.map((source) => source.source))],
    expectation: sources.every((source) => source.expectation === 'data') ? 'data' : 'parse',
    requires: [...new Set(sources.flatMap((source) => (source.requiresService ? [source.requiresService] : [])))],
  };
}
