/**
 * The Grafana dashboards: one per service and one overview. `pnpm dashboards` writes them to
 * dashboards/*.json, which the charts ship as ConfigMaps labelled grafana_dashboard: "1".
 */
import {
  notFoundRoute,
  probeRoutes,
  serviceLabelPattern,
  serviceMetrics as m,
  serviceProfiles,
  errorRatioThreshold,
  restartsThreshold,
  type ServiceProfile,
} from './contract.ts';
import { dashboard, q, row, stat, timeseries, variable, type Dashboard, type PanelSpec, type QueryVariable, type RowSpec } from './grafana.ts';

const RATE = '$__rate_interval';

// ---- PromQL building blocks ----

const by = (labels: string) => (labels ? ` by (${labels})` : '');
const rate = (metric: string, selector: string) => `rate(${metric}{${selector}}[${RATE}])`;

/** Requests per second. */
export const requestRate = (selector: string, group = '') => `sum${by(group)} (${rate(`${m.requests}_count`, selector)})`;

/** Share of answers that are 5xx; 0 (not "no data") for groups that had traffic and no 5xx. */
export const errorRatio = (selector: string, group = '') => {
  const all = requestRate(selector, group);
  return `(${requestRate(`${selector}, status_code=~"5.."`, group)} or ${all} * 0) / ${all}`;
};

/** A latency quantile from the histogram: aggregatable across pods, over the rate window. */
export const latencyQuantile = (quantile: number, selector: string, group = '') =>
  `histogram_quantile(${quantile}, sum by (${group ? `${group}, ` : ''}le) (${rate(`${m.requests}_bucket`, selector)}))`;

/** The slowest request of the last 30-60 s (the summary's quantile 1), the worst pod's. */
export const latencyMax = (selector: string, group = '') => `max${by(group)} (${m.requestSummary}{${selector}, quantile="1"})`;

const ratio = (part: string, whole: string) => `${part} / (${whole})`;

// ---- panel sets ----

const THRESHOLD_COLOR = 'red';

interface Scope {
  /** Selector of the service's series (namespace, service, pod). */
  service: string;
  /** The same plus the route variable (user traffic only: probe routes are filtered by the variable). */
  routes: string;
  latencyThreshold: number;
}

function latencyPanels(scope: Scope, group: string, legend: string, width: number): PanelSpec[] {
  const quantiles: Array<[string, number]> = [
    ['p50', 0.5],
    ['p95', 0.95],
    ['p99', 0.99],
  ];
  const thresholds: Array<[number, string]> = [[scope.latencyThreshold, THRESHOLD_COLOR]];
  return [
    ...quantiles.map(([name, quantile]) =>
      timeseries({
        title: `Latency ${name} by ${legend}`,
        description: `${name} of request duration (histogram ${m.requests}), per ${legend}. The red line is the p95 alert threshold.`,
        unit: 's',
        min: 0,
        width,
        thresholds,
        targets: [q(latencyQuantile(quantile, scope.routes, group), legendFor(group))],
      }),
    ),
    timeseries({
      title: `Latency max by ${legend}`,
      description: `The slowest request in the last 30-60 s (summary ${m.requestSummary}, quantile 1), worst pod, per ${legend}.`,
      unit: 's',
      min: 0,
      width,
      thresholds,
      targets: [q(latencyMax(scope.routes, group), legendFor(group))],
    }),
  ];
}

const legendFor = (group: string) =>
  group
    .split(',')
    .map((label) => label.trim())
    .filter(Boolean)
    .map((label) => `{{${label}}}`)
    .join(' ');

function trafficPanels(scope: Scope, group: string, legend: string): PanelSpec[] {
  return [
    timeseries({
      title: `Requests per second by ${legend}`,
      description: `Answers per second, per ${legend}, every status code.`,
      unit: 'reqps',
      min: 0,
      width: 12,
      targets: [q(requestRate(scope.routes, group), legendFor(group))],
    }),
    timeseries({
      title: `5xx error rate by ${legend}`,
      description: `Share of answers with a 5xx status, per ${legend}. The red line is the alert threshold (${errorRatioThreshold * 100}% for 2 minutes).`,
      unit: 'percentunit',
      min: 0,
      width: 12,
      thresholds: [[errorRatioThreshold, THRESHOLD_COLOR]],
      targets: [q(errorRatio(scope.routes, group), legendFor(group))],
    }),
  ];
}

function headlineStats(scope: Scope, upSelector: string): PanelSpec[] {
  const width = 4;
  return [
    stat({
      title: 'Requests per second',
      description: 'All user requests (probes and scrapes excluded).',
      unit: 'reqps',
      decimals: 1,
      width,
      baseColor: 'blue',
      targets: [q(requestRate(scope.routes))],
    }),
    stat({
      title: '5xx error rate',
      description: `Share of 5xx answers; the alert fires above ${errorRatioThreshold * 100}% for 2 minutes.`,
      unit: 'percentunit',
      decimals: 2,
      width,
      thresholds: [
        [0.01, 'orange'],
        [errorRatioThreshold, 'red'],
      ],
      targets: [q(errorRatio(scope.routes))],
    }),
    stat({
      title: 'Latency p95',
      description: `p95 request duration; the alert fires above ${scope.latencyThreshold} s for 5 minutes.`,
      unit: 's',
      width,
      thresholds: [
        [scope.latencyThreshold / 2, 'orange'],
        [scope.latencyThreshold, 'red'],
      ],
      targets: [q(latencyQuantile(0.95, scope.routes))],
    }),
    stat({
      title: 'Latency p99',
      description: 'p99 request duration.',
      unit: 's',
      width,
      thresholds: [
        [scope.latencyThreshold, 'orange'],
        [scope.latencyThreshold * 2, 'red'],
      ],
      targets: [q(latencyQuantile(0.99, scope.routes))],
    }),
    stat({
      title: 'Latency max',
      description: 'The slowest request of the last 30-60 s, worst pod.',
      unit: 's',
      width,
      thresholds: [[scope.latencyThreshold * 2, 'orange']],
      targets: [q(latencyMax(scope.routes))],
    }),
    stat({
      title: 'Targets up',
      description: 'Pods Prometheus scrapes successfully (up == 1). Red: none.',
      unit: 'none',
      width,
      baseColor: 'red',
      thresholds: [[1, 'green']],
      targets: [q(`sum(up{${upSelector}})`)],
    }),
  ];
}

function serviceLatencyRow(scope: Scope): RowSpec {
  const sel = scope.routes;
  return row('Latency, traffic and errors', [
    timeseries({
      title: 'Latency p50 / p95 / p99 / max',
      description: 'The service as a whole: quantiles from the histogram, max from the summary. The red line is the p95 alert threshold.',
      unit: 's',
      min: 0,
      width: 12,
      thresholds: [[scope.latencyThreshold, THRESHOLD_COLOR]],
      targets: [
        q(latencyQuantile(0.5, sel), 'p50'),
        q(latencyQuantile(0.95, sel), 'p95'),
        q(latencyQuantile(0.99, sel), 'p99'),
        q(latencyMax(sel), 'max'),
      ],
    }),
    timeseries({
      title: 'Requests per second by status code',
      description: 'Answers per second by HTTP status code.',
      unit: 'reqps',
      min: 0,
      width: 12,
      stacked: true,
      targets: [q(requestRate(sel, 'status_code'), '{{status_code}}')],
    }),
    timeseries({
      title: '5xx error rate',
      description: `Share of 5xx answers. The red line is the alert threshold (${errorRatioThreshold * 100}% for 2 minutes).`,
      unit: 'percentunit',
      min: 0,
      width: 12,
      thresholds: [[errorRatioThreshold, THRESHOLD_COLOR]],
      targets: [q(errorRatio(sel), '5xx')],
    }),
    timeseries({
      title: 'Requests per second by pod',
      description: 'How evenly the Service spreads requests over the pods.',
      unit: 'reqps',
      min: 0,
      width: 12,
      targets: [q(requestRate(sel, 'pod'), '{{pod}}')],
    }),
  ]);
}

function ingressRow(selector: string, group: string): RowSpec {
  const requests = 'nginx_ingress_controller_requests';
  const duration = 'nginx_ingress_controller_request_duration_seconds_bucket';
  const rps = (extra = '') => `sum${by(group)} (rate(${requests}{${selector}${extra}}[${RATE}]))`;
  const quantile = (value: number) => `histogram_quantile(${value}, sum by (${group ? `${group}, ` : ''}le) (rate(${duration}{${selector}}[${RATE}])))`;
  const legendOf = (name: string) => (group ? `${name} ${legendFor(group)}` : name);
  return row('Ingress (ingress-nginx)', [
    timeseries({
      title: 'Ingress requests per second by status',
      description: 'What clients see at the edge: requests through ingress-nginx to this Ingress, by status (includes answers the controller gives itself, e.g. 502/504).',
      unit: 'reqps',
      min: 0,
      width: 8,
      targets: [q(`sum by (${group ? `${group}, ` : ''}status) (rate(${requests}{${selector}}[${RATE}]))`, group ? `${legendFor(group)} {{status}}` : '{{status}}')],
    }),
    timeseries({
      title: 'Ingress 5xx error rate',
      description: 'Share of 5xx answers at the edge; higher than the service\'s own when the controller cannot reach a pod.',
      unit: 'percentunit',
      min: 0,
      width: 8,
      thresholds: [[errorRatioThreshold, THRESHOLD_COLOR]],
      targets: [q(`(${rps(', status=~"5.."')} or ${rps()} * 0) / ${rps()}`, legendOf('5xx'))],
    }),
    timeseries({
      title: 'Ingress latency p50 / p95 / p99 / max',
      description: 'Request duration at the edge (controller to client), from nginx_ingress_controller_request_duration_seconds. The controller exports a histogram only: max is the upper bound of the highest bucket a request fell into.',
      unit: 's',
      min: 0,
      width: 8,
      targets: [q(quantile(0.5), legendOf('p50')), q(quantile(0.95), legendOf('p95')), q(quantile(0.99), legendOf('p99')), q(quantile(1), legendOf('max'))],
    }),
  ]);
}

function podsRow(podSelector: string, processSelector: string): RowSpec {
  const containers = `${podSelector}, container!="", container!="POD"`;
  return row('Pods', [
    timeseries({
      title: 'CPU by pod (cAdvisor)',
      description: 'CPU cores used by the service\'s containers (container_cpu_usage_seconds_total); dashed: the CPU limit (kube-state-metrics).',
      unit: 'short',
      axisLabel: 'cores',
      min: 0,
      width: 12,
      targets: [
        q(`sum by (pod) (rate(container_cpu_usage_seconds_total{${containers}}[${RATE}]))`, '{{pod}}'),
        q(`sum by (pod) (kube_pod_container_resource_limits{${podSelector}, resource="cpu"})`, 'limit {{pod}}'),
      ],
    }),
    timeseries({
      title: 'Memory by pod (cAdvisor working set)',
      description: 'container_memory_working_set_bytes, what the OOM killer looks at; dashed: the memory limit (kube-state-metrics).',
      unit: 'bytes',
      min: 0,
      width: 12,
      targets: [
        q(`sum by (pod) (container_memory_working_set_bytes{${containers}})`, '{{pod}}'),
        q(`sum by (pod) (kube_pod_container_resource_limits{${podSelector}, resource="memory"})`, 'limit {{pod}}'),
      ],
    }),
    timeseries({
      title: 'Container restarts (15 min)',
      description: `Restarts in the last 15 minutes (kube-state-metrics). The alert fires above ${restartsThreshold}.`,
      unit: 'short',
      min: 0,
      width: 6,
      thresholds: [[restartsThreshold, THRESHOLD_COLOR]],
      targets: [q(`sum by (pod) (increase(kube_pod_container_status_restarts_total{${podSelector}}[15m]))`, '{{pod}}')],
    }),
    timeseries({
      title: 'Process memory (from the service)',
      description: 'Resident set size and V8 heap in use, as the Node.js process reports them.',
      unit: 'bytes',
      min: 0,
      width: 6,
      targets: [
        q(`sum by (pod) (process_resident_memory_bytes{${processSelector}})`, 'rss {{pod}}'),
        q(`sum by (pod) (nodejs_heap_size_used_bytes{${processSelector}})`, 'heap {{pod}}'),
      ],
    }),
    timeseries({
      title: 'Process CPU (from the service)',
      description: 'CPU cores the Node.js process uses (process_cpu_seconds_total); one process cannot use much more than one core.',
      unit: 'short',
      axisLabel: 'cores',
      min: 0,
      width: 6,
      targets: [q(`sum by (pod) (rate(process_cpu_seconds_total{${processSelector}}[${RATE}]))`, '{{pod}}')],
    }),
    timeseries({
      title: 'Event loop lag p99',
      description: 'Event loop delay p99 of the Node.js process: rising with CPU near one core means the process is saturated and every request waits.',
      unit: 's',
      min: 0,
      width: 6,
      thresholds: [[0.1, 'orange']],
      targets: [q(`max by (pod) (nodejs_eventloop_lag_p99_seconds{${processSelector}})`, '{{pod}}')],
    }),
  ]);
}

function databaseRow(poolSelector: string, poolGroup: string, databaseSelector: string, serverSelector: string, perDatabase: boolean): RowSpec {
  const pool = (state: string) => `sum by (${poolGroup}) (${m.dbPool}{${poolSelector}, state="${state}"})`;
  const dbGroup = perDatabase ? 'datname' : '';
  const dbLegend = (name: string) => (perDatabase ? `${name} {{datname}}` : name);
  const blocks = (kind: string) => `sum${by(dbGroup)} (${rate(`pg_stat_database_blks_${kind}`, databaseSelector)})`;
  return row('Database', [
    timeseries({
      title: 'DB pool connections',
      description: 'The service\'s pg pool: connections in use, and requests waiting for one (above 0: the pool is the bottleneck; DB_POOL_MAX raises it). Dashed: the pool size.',
      unit: 'short',
      min: 0,
      width: 8,
      targets: [
        q(`${pool('total')} - ${pool('idle')}`, `in use ${legendFor(poolGroup)}`),
        q(pool('waiting'), `waiting ${legendFor(poolGroup)}`),
        q(`sum by (${poolGroup}) (${m.dbPoolMax}{${poolSelector}})`, `size ${legendFor(poolGroup)}`),
      ],
    }),
    timeseries({
      title: 'DB pool use',
      description: 'Connections in use / pool size, busiest pod.',
      unit: 'percentunit',
      min: 0,
      max: 1,
      width: 8,
      thresholds: [
        [0.8, 'orange'],
        [0.95, 'red'],
      ],
      targets: [
        q(
          `max by (${poolGroup}) ((${m.dbPool}{${poolSelector}, state="total"} - ignoring(state) ${m.dbPool}{${poolSelector}, state="idle"}) / ignoring(state) ${m.dbPoolMax}{${poolSelector}})`,
          legendFor(poolGroup),
        ),
      ],
    }),
    timeseries({
      title: 'Postgres connections by state',
      description: 'Backends of the database by state (postgres_exporter pg_stat_activity_count); dashed: the server\'s max_connections.',
      unit: 'short',
      min: 0,
      width: 8,
      targets: [
        q(`sum by (${perDatabase ? 'datname, ' : ''}state) (pg_stat_activity_count{${databaseSelector}})`, perDatabase ? '{{datname}} {{state}}' : '{{state}}'),
        q(`max(pg_settings_max_connections{${serverSelector}})`, 'max_connections'),
      ],
    }),
    timeseries({
      title: 'Postgres transactions per second',
      description: 'Commits and rollbacks per second (pg_stat_database).',
      unit: 'ops',
      min: 0,
      width: 8,
      targets: [
        q(`sum${by(dbGroup)} (${rate('pg_stat_database_xact_commit', databaseSelector)})`, dbLegend('commits')),
        q(`sum${by(dbGroup)} (${rate('pg_stat_database_xact_rollback', databaseSelector)})`, dbLegend('rollbacks')),
      ],
    }),
    timeseries({
      title: 'Postgres cache hit ratio',
      description: 'Blocks found in shared buffers / blocks needed. Below 99% on a steady load: the working set does not fit in shared_buffers.',
      unit: 'percentunit',
      max: 1,
      width: 8,
      baseColor: 'red',
      thresholds: [
        [0.9, 'orange'],
        [0.99, 'green'],
      ],
      targets: [q(ratio(blocks('hit'), `${blocks('hit')} + ${blocks('read')}`), dbLegend('hit ratio'))],
    }),
    timeseries({
      title: 'Postgres deadlocks (5 min)',
      description: 'Deadlocks detected in the last 5 minutes; any is a bug in the order the code takes locks.',
      unit: 'short',
      min: 0,
      width: 8,
      thresholds: [[1, THRESHOLD_COLOR]],
      targets: [q(`sum${by(dbGroup)} (increase(pg_stat_database_deadlocks{${databaseSelector}}[5m]))`, dbLegend('deadlocks'))],
    }),
  ]);
}

function cacheRow(cacheSelector: string, cacheGroup: string, redisSelector: string): RowSpec {
  const cache = (result: string) => `sum${by(cacheGroup)} (rate(${m.cacheRequests}{${cacheSelector}, result=~"${result}"}[${RATE}]))`;
  const redis = (metric: string) => `sum(${rate(metric, redisSelector)})`;
  return row('Cache (product service and Redis)', [
    timeseries({
      title: 'Service cache hit ratio',
      description: `Hits / (hits + misses) of the service's cache-aside (${m.cacheRequests}); errors and bypasses are not lookups.`,
      unit: 'percentunit',
      min: 0,
      max: 1,
      width: 8,
      baseColor: 'red',
      thresholds: [
        [0.5, 'orange'],
        [0.8, 'green'],
      ],
      targets: [q(`${cache('hit')} / ${cache('hit|miss')}`, cacheGroup ? `hit ratio ${legendFor(cacheGroup)}` : 'hit ratio')],
    }),
    timeseries({
      title: 'Service cache lookups by result',
      description: 'hit, miss, error (Redis failed: answered from the database) and bypass (not cacheable) per second.',
      unit: 'ops',
      min: 0,
      width: 8,
      stacked: true,
      targets: [q(`sum by (${cacheGroup ? `${cacheGroup}, ` : ''}result) (rate(${m.cacheRequests}{${cacheSelector}}[${RATE}]))`, cacheGroup ? `${legendFor(cacheGroup)} {{result}}` : '{{result}}')],
    }),
    timeseries({
      title: 'Redis keyspace hit ratio',
      description: 'keyspace_hits / (hits + misses), the whole Redis (redis_exporter).',
      unit: 'percentunit',
      min: 0,
      max: 1,
      width: 8,
      targets: [q(ratio(redis('redis_keyspace_hits_total'), `${redis('redis_keyspace_hits_total')} + ${redis('redis_keyspace_misses_total')}`), 'hit ratio')],
    }),
    timeseries({
      title: 'Redis memory',
      description: 'Memory used; dashed line: maxmemory (0 = no limit, then keys are never evicted and Redis can run out of memory).',
      unit: 'bytes',
      min: 0,
      width: 8,
      targets: [q(`sum(redis_memory_used_bytes{${redisSelector}})`, 'used'), q(`sum(redis_memory_max_bytes{${redisSelector}})`, 'maxmemory')],
    }),
    timeseries({
      title: 'Redis evictions and expirations',
      description: 'Keys evicted per second (memory pressure: raise maxmemory or shorten TTLs) and keys expired per second.',
      unit: 'ops',
      min: 0,
      width: 8,
      thresholds: [[1, 'orange']],
      targets: [q(redis('redis_evicted_keys_total'), 'evicted'), q(redis('redis_expired_keys_total'), 'expired')],
    }),
    timeseries({
      title: 'Redis commands per second',
      description: 'Commands Redis processes per second, every client included.',
      unit: 'ops',
      min: 0,
      width: 8,
      targets: [q(redis('redis_commands_processed_total'), 'commands')],
    }),
  ]);
}

// ---- variables ----

// Grafana takes a regex's first capture group as the value: every group here is non-capturing.
const userRoutesRegex = `/^(?!(?:${probeRoutes.map((route) => route.replace(/[/.]/g, '\\$&')).join('|')})$).*/`;

const namespaceVariable = (matcher: string): QueryVariable =>
  variable({
    name: 'namespace',
    label: 'Namespace',
    description: 'Namespace the services run in.',
    query: `label_values(${m.requests}_count${matcher ? `{${matcher}}` : ''}, namespace)`,
  });

const podVariable = (serviceMatcher: string): QueryVariable =>
  variable({
    name: 'pod',
    label: 'Pod',
    description: 'Pods of the service(s); All: every one.',
    query: `label_values(${m.requests}_count{namespace=~"$namespace", ${serviceMatcher}}, pod)`,
    all: true,
  });

const routeVariable = (serviceMatcher: string): QueryVariable =>
  variable({
    name: 'route',
    label: 'Route',
    description: `Route templates (method-independent); /metrics and /ready are not user traffic and are left out. ${notFoundRoute} is every unknown path.`,
    query: `label_values(${m.requests}_count{namespace=~"$namespace", ${serviceMatcher}, pod=~"$pod"}, route)`,
    regex: userRoutesRegex,
    all: true,
  });

const ingressVariable = (pattern: string): QueryVariable =>
  variable({
    name: 'ingress',
    label: 'Ingress',
    description: 'Ingress objects (ingress-nginx metrics carry the Ingress namespace as exported_namespace).',
    query: 'label_values(nginx_ingress_controller_requests{exported_namespace=~"$namespace"}, ingress)',
    regex: pattern,
    all: true,
  });

const redisVariable = (): QueryVariable =>
  variable({
    name: 'redis',
    label: 'Redis',
    description: 'The Redis exporter\'s Service (redis_exporter).',
    query: 'label_values(redis_up{namespace=~"$namespace"}, service)',
    all: true,
  });

// ---- dashboards ----

export function serviceDashboard(profile: ServiceProfile): Dashboard {
  const name = profile.name;
  const serviceMatcher = 'service=~"$service"';
  const scope: Scope = {
    service: `namespace=~"$namespace", ${serviceMatcher}, pod=~"$pod"`,
    routes: `namespace=~"$namespace", ${serviceMatcher}, pod=~"$pod", route=~"$route"`,
    latencyThreshold: profile.latencyThresholdSeconds,
  };
  const variables: QueryVariable[] = [
    namespaceVariable(`service=~"${serviceLabelPattern(name)}"`),
    variable({
      name: 'service',
      label: 'Service',
      description: `The ${name} Service (its ServiceMonitor sets service and job to <release>-${name}, or the release name).`,
      query: `label_values(${m.requests}_count{namespace=~"$namespace"}, service)`,
      regex: `/^(?:.+-)?${name}$/`,
    }),
    podVariable(serviceMatcher),
    routeVariable(serviceMatcher),
    variable({
      name: 'database',
      label: 'Database',
      description: `The ${name} service's Postgres database (named ${name}, or ending in _${name}).`,
      query: 'label_values(pg_stat_database_numbackends{namespace=~"$namespace"}, datname)',
      regex: `/^(?:.+_)?${name}$/`,
    }),
    ingressVariable(`/^(?:.+-)?${name}(?:-.+)?$/`),
    ...(profile.cache ? [redisVariable()] : []),
  ];
  const rows: RowSpec[] = [
    row(`${profile.title} at a glance`, headlineStats(scope, `namespace=~"$namespace", ${serviceMatcher}`)),
    serviceLatencyRow(scope),
    row('Per route: latency', latencyPanels(scope, 'method, route', 'route', 12)),
    row('Per route: traffic and errors', trafficPanels(scope, 'method, route', 'route')),
    ingressRow('exported_namespace=~"$namespace", ingress=~"$ingress"', ''),
    podsRow('namespace=~"$namespace", pod=~"$pod"', scope.service),
    databaseRow(scope.service, 'pod', 'namespace=~"$namespace", datname=~"$database"', 'namespace=~"$namespace"', false),
    ...(profile.cache ? [cacheRow(scope.service, '', 'namespace=~"$namespace", service=~"$redis"')] : []),
  ];
  return dashboard({
    uid: `arch-${name}`,
    title: `arch / ${profile.title}`,
    description: `${profile.description} Latency, traffic and errors per route and for the service, at the Ingress, its pods, its database${profile.cache ? ' and its cache' : ''}.`,
    tags: ['arch', name],
    variables,
    rows,
  });
}

export function overviewDashboard(): Dashboard {
  const serviceMatcher = 'service=~"$service"';
  const scope: Scope = {
    service: `namespace=~"$namespace", ${serviceMatcher}, pod=~"$pod"`,
    routes: `namespace=~"$namespace", ${serviceMatcher}, pod=~"$pod", route=~"$route"`,
    latencyThreshold: Math.min(...Object.values(serviceProfiles).map((profile) => profile.latencyThresholdSeconds)),
  };
  const variables: QueryVariable[] = [
    namespaceVariable(''),
    variable({
      name: 'service',
      label: 'Service',
      description: 'Services of the platform (every ServiceMonitor target with the kit\'s request metrics).',
      query: `label_values(${m.requests}_count{namespace=~"$namespace"}, service)`,
      all: true,
    }),
    podVariable(serviceMatcher),
    routeVariable(serviceMatcher),
    variable({
      name: 'database',
      label: 'Database',
      description: 'Postgres databases in the namespace.',
      query: 'label_values(pg_stat_database_numbackends{namespace=~"$namespace"}, datname)',
      regex: '/^(?!(?:template0|template1)$).*/',
      all: true,
    }),
    redisVariable(),
  ];
  const rows: RowSpec[] = [
    row('Platform at a glance', headlineStats(scope, `namespace=~"$namespace", ${serviceMatcher}`)),
    row('Services: latency', latencyPanels(scope, 'service', 'service', 12)),
    row('Services: traffic and errors', trafficPanels(scope, 'service', 'service')),
    row('Routes', [
      timeseries({
        title: 'Latency p95 by route',
        description: 'p95 per route template, every selected service.',
        unit: 's',
        min: 0,
        width: 8,
        targets: [q(latencyQuantile(0.95, scope.routes, 'service, method, route'), '{{service}} {{method}} {{route}}')],
      }),
      timeseries({
        title: 'Requests per second by route',
        description: 'Answers per second per route template.',
        unit: 'reqps',
        min: 0,
        width: 8,
        targets: [q(requestRate(scope.routes, 'service, method, route'), '{{service}} {{method}} {{route}}')],
      }),
      timeseries({
        title: '5xx error rate by route',
        description: 'Share of 5xx answers per route template.',
        unit: 'percentunit',
        min: 0,
        width: 8,
        thresholds: [[errorRatioThreshold, THRESHOLD_COLOR]],
        targets: [q(errorRatio(scope.routes, 'service, method, route'), '{{service}} {{method}} {{route}}')],
      }),
    ]),
    ingressRow('exported_namespace=~"$namespace"', 'ingress'),
    podsRow('namespace=~"$namespace", pod=~"$pod"', scope.service),
    databaseRow(scope.service, 'service', 'namespace=~"$namespace", datname=~"$database"', 'namespace=~"$namespace"', true),
    cacheRow(scope.service, 'service', 'namespace=~"$namespace", service=~"$redis"'),
  ];
  return dashboard({
    uid: 'arch-overview',
    title: 'arch / overview',
    description: 'Every service of the platform side by side: latency, traffic and errors, the Ingress, pods, Postgres, the product cache and Redis.',
    tags: ['arch', 'overview'],
    variables,
    rows,
  });
}

/** dashboards/<file> → dashboard. */
export function allDashboards(): Record<string, Dashboard> {
  const services = Object.values(serviceProfiles);
  return {
    ...Object.fromEntries(services.map((profile) => [`${profile.name}.json`, serviceDashboard(profile)])),
    'overview.json': overviewDashboard(),
  };
}
