/**
 * Alert rules per service, in three files under dashboards/alerts/ (`pnpm dashboards` writes them):
 * - `<service>.rules.yaml`: a Prometheus rule file (`groups:`); the chart puts it into a
 *   PrometheusRule's spec, promtool and the proof's Prometheus load it as it is;
 * - `<service>.rules.test.yaml`: promtool unit tests, each alert firing on bad series and quiet on good;
 * - `<service>.grafana-alerts.yaml`: the error-rate and latency alerts as Grafana-managed rules
 *   (Grafana's alerting provisioning format), for the Grafana alerts sidecar (label grafana_alert: "1").
 */
import {
  errorRatioThreshold,
  latencyBuckets,
  notFoundRoute,
  probeRoutes,
  prometheusDatasourceUid,
  restartsThreshold,
  serviceLabelPattern,
  serviceMetrics as m,
  type ServiceProfile,
} from './contract.ts';
import { dashboardTargets, type Dashboard } from './grafana.ts';

export interface AlertingRule {
  alert: string;
  expr: string;
  for?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface RuleFile {
  groups: Array<{ name: string; rules: AlertingRule[] }>;
}

const alertPrefix = (profile: ServiceProfile) => profile.name.charAt(0).toUpperCase() + profile.name.slice(1);
const serviceMatcher = (profile: ServiceProfile) => `service=~"${serviceLabelPattern(profile.name)}"`;
const userRoutes = `route!~"${probeRoutes.join('|')}"`;
const runbook = (alert: string) => `docs/observability.md#${alert.toLowerCase()}`;

/** The share of 5xx answers per (namespace, service) over the last minute, probes left out. */
export function errorRatioExpr(profile: ServiceProfile): string {
  const selector = `${serviceMatcher(profile)}, ${userRoutes}`;
  const count = `${m.requests}_count`;
  return (
    `sum by (namespace, service) (rate(${count}{${selector}, status_code=~"5.."}[1m]))\n` +
    `  / sum by (namespace, service) (rate(${count}{${selector}}[1m]))`
  );
}

/** p95 request duration per (namespace, service) over 5 minutes, probes and unknown paths left out. */
export function latencyP95Expr(profile: ServiceProfile): string {
  const selector = `${serviceMatcher(profile)}, route!~"${[...probeRoutes, notFoundRoute].join('|')}"`;
  return `histogram_quantile(0.95, sum by (namespace, service, le) (rate(${m.requests}_bucket{${selector}}[5m])))`;
}

export function prometheusRules(profile: ServiceProfile): RuleFile {
  const prefix = alertPrefix(profile);
  const labels = (severity: string) => ({ severity, arch_service: profile.name });
  const where = '{{ $labels.service }} in {{ $labels.namespace }}';
  const names = {
    errors: `${prefix}HighErrorRate`,
    latency: `${prefix}HighLatency`,
    restarts: `${prefix}PodRestarting`,
    down: `${prefix}TargetDown`,
    missing: `${prefix}TargetsMissing`,
  };
  return {
    groups: [
      {
        name: `arch-${profile.name}`,
        rules: [
          {
            alert: names.errors,
            expr: `(\n  ${errorRatioExpr(profile)}\n) > ${errorRatioThreshold}\n`,
            for: '2m',
            labels: labels('critical'),
            annotations: {
              summary: `${where}: {{ $value | humanizePercentage }} of requests answered 5xx`,
              description: `More than ${errorRatioThreshold * 100}% of user requests (probes left out) answered with a 5xx for 2 minutes. Open the arch / ${profile.name} dashboard: the per-route 5xx panel names the routes, the database row shows whether Postgres is the cause.`,
              runbook: runbook(names.errors),
            },
          },
          {
            alert: names.latency,
            expr: `${latencyP95Expr(profile)}\n  > ${profile.latencyThresholdSeconds}\n`,
            for: '5m',
            labels: labels('warning'),
            annotations: {
              summary: `${where}: p95 latency {{ printf "%.2f" $value }} s, above ${profile.latencyThresholdSeconds} s`,
              description: `p95 of user requests stayed above ${profile.latencyThresholdSeconds} s for 5 minutes. Check the per-route latency panels, the DB pool (requests waiting for a connection) and pod CPU.`,
              runbook: runbook(names.latency),
            },
          },
          {
            alert: names.restarts,
            expr: `increase(kube_pod_container_status_restarts_total{container="${profile.name}"}[15m]) > ${restartsThreshold}\n`,
            labels: labels('warning'),
            annotations: {
              summary: `{{ $labels.pod }} in {{ $labels.namespace }}: the ${profile.name} container restarted more than ${restartsThreshold} times in 15 minutes`,
              description: 'The container keeps restarting: crashes, OOM kills or a failing liveness probe. `kubectl describe pod` shows the last state and reason, `kubectl logs --previous` the crash.',
              runbook: runbook(names.restarts),
            },
          },
          {
            alert: names.down,
            expr: `up{${serviceMatcher(profile)}} == 0\n`,
            for: '2m',
            labels: labels('critical'),
            annotations: {
              summary: `{{ $labels.pod }} in {{ $labels.namespace }}: Prometheus cannot scrape ${profile.name} for 2 minutes`,
              description: 'The pod is in the Service\'s endpoints but /metrics does not answer: the process hangs, or a NetworkPolicy blocks Prometheus.',
              runbook: runbook(names.down),
            },
          },
          {
            alert: names.missing,
            expr: `absent(up{${serviceMatcher(profile)}})\n`,
            for: '5m',
            labels: labels('critical'),
            annotations: {
              summary: `No ${profile.name} target is scraped at all`,
              description: `Prometheus has no ${profile.name} target: no ready pod, or the ServiceMonitor is not selected (its release label) or matches no Service.`,
              runbook: runbook(names.missing),
            },
          },
        ],
      },
    ],
  };
}

// ---- Grafana-managed rules ----

export interface GrafanaQuery {
  refId: string;
  relativeTimeRange?: { from: number; to: number };
  datasourceUid: string;
  model: Record<string, unknown>;
}

export interface GrafanaRule {
  uid: string;
  title: string;
  condition: string;
  data: GrafanaQuery[];
  dashboardUid: string;
  panelId: number;
  noDataState: 'OK' | 'NoData' | 'Alerting';
  execErrState: 'Error' | 'Alerting' | 'OK';
  for: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  isPaused: boolean;
}

export interface GrafanaAlertFile {
  apiVersion: 1;
  groups: Array<{ orgId: number; name: string; folder: string; interval: string; rules: GrafanaRule[] }>;
}

function grafanaRule(options: {
  uid: string;
  title: string;
  expr: string;
  threshold: number;
  for: string;
  severity: string;
  profile: ServiceProfile;
  panelId: number;
  summary: string;
  description: string;
}): GrafanaRule {
  return {
    uid: options.uid,
    title: options.title,
    condition: 'C',
    data: [
      {
        refId: 'A',
        relativeTimeRange: { from: 600, to: 0 },
        datasourceUid: prometheusDatasourceUid,
        model: { refId: 'A', expr: options.expr, instant: true, range: false, editorMode: 'code', legendFormat: '{{namespace}} {{service}}', intervalMs: 1000, maxDataPoints: 43200 },
      },
      {
        refId: 'B',
        datasourceUid: '__expr__',
        model: { refId: 'B', type: 'reduce', expression: 'A', reducer: 'last', settings: { mode: 'dropNN' } },
      },
      {
        refId: 'C',
        datasourceUid: '__expr__',
        model: { refId: 'C', type: 'threshold', expression: 'B', conditions: [{ evaluator: { type: 'gt', params: [options.threshold] } }] },
      },
    ],
    dashboardUid: `arch-${options.profile.name}`,
    panelId: options.panelId,
    // No traffic means no ratio: not an incident by itself (the Prometheus rules watch the targets).
    noDataState: 'OK',
    execErrState: 'Error',
    for: options.for,
    labels: { severity: options.severity, arch_service: options.profile.name },
    annotations: { summary: options.summary, description: options.description, runbook: runbook(options.uid) },
    isPaused: false,
  };
}

/** The panel a Grafana rule links to: the time series of that title (not the stat of the same name). */
function panelId(board: Dashboard, title: string): number {
  const found = dashboardTargets(board).find(({ panel }) => panel.type === 'timeseries' && panel.title === title);
  if (!found) throw new Error(`dashboard ${board.uid} has no panel "${title}"`);
  return found.panel.id;
}

export function grafanaAlertRules(profile: ServiceProfile, board: Dashboard): GrafanaAlertFile {
  const where = '{{ $labels.service }} in {{ $labels.namespace }}';
  return {
    apiVersion: 1,
    groups: [
      {
        orgId: 1,
        name: `arch-${profile.name}`,
        folder: 'arch',
        interval: '1m',
        rules: [
          grafanaRule({
            uid: `arch-${profile.name}-error-rate`,
            title: `${profile.name}: 5xx error rate above ${errorRatioThreshold * 100}%`,
            expr: errorRatioExpr(profile),
            threshold: errorRatioThreshold,
            for: '2m',
            severity: 'critical',
            profile,
            panelId: panelId(board, '5xx error rate'),
            summary: `${where}: {{ humanizePercentage $values.B.Value }} of requests answered 5xx`,
            description: `More than ${errorRatioThreshold * 100}% of user requests answered with a 5xx for 2 minutes (same rule as the PrometheusRule ${alertPrefix(profile)}HighErrorRate).`,
          }),
          grafanaRule({
            uid: `arch-${profile.name}-latency-p95`,
            title: `${profile.name}: p95 latency above ${profile.latencyThresholdSeconds} s`,
            expr: latencyP95Expr(profile),
            threshold: profile.latencyThresholdSeconds,
            for: '5m',
            severity: 'warning',
            profile,
            panelId: panelId(board, 'Latency p50 / p95 / p99 / max'),
            summary: `${where}: p95 latency {{ printf "%.2f" $values.B.Value }} s`,
            description: `p95 of user requests stayed above ${profile.latencyThresholdSeconds} s for 5 minutes (same rule as the PrometheusRule ${alertPrefix(profile)}HighLatency).`,
          }),
        ],
      },
    ],
  };
}

// ---- promtool unit tests ----

interface Series {
  series: string;
  values: string;
}

interface ExpectedAlert {
  exp_labels: Record<string, string>;
  exp_annotations: Record<string, string>;
}

interface AlertTest {
  eval_time: string;
  alertname: string;
  exp_alerts: ExpectedAlert[];
}

export interface PromtoolTestFile {
  rule_files: string[];
  evaluation_interval: string;
  tests: Array<{ name: string; interval: string; input_series: Series[]; alert_rule_test: AlertTest[] }>;
}

const labelsText = (labels: Record<string, string>) =>
  `{${Object.entries(labels)
    .map(([name, value]) => `${name}="${value}"`)
    .join(', ')}}`;

/** Go's `%.4g` for the magnitudes used here (humanizePercentage). */
const fourSignificant = (value: number) => String(Number(value.toPrecision(4)));

/** What histogram_quantile answers for cumulative bucket counts (linear interpolation in the bucket). */
export function histogramQuantile(quantile: number, cumulative: Array<[number, number]>): number {
  const total = cumulative[cumulative.length - 1]![1];
  const rank = quantile * total;
  let lowerBound = 0;
  let lowerCount = 0;
  for (const [bound, count] of cumulative) {
    if (count >= rank) return lowerBound + ((bound - lowerBound) * (rank - lowerCount)) / (count - lowerCount);
    lowerBound = bound;
    lowerCount = count;
  }
  return Number.NaN;
}

export function promtoolTests(profile: ServiceProfile, rules: RuleFile): PromtoolTestFile {
  const find = (suffix: string) => {
    const rule = rules.groups.flatMap((group) => group.rules).find((candidate) => candidate.alert.endsWith(suffix));
    if (!rule) throw new Error(`no rule ending in ${suffix} for ${profile.name}`);
    return rule;
  };
  const render = (template: string, labels: Record<string, string>, value: string) =>
    template
      .replaceAll('{{ $labels.service }}', labels.service ?? '')
      .replaceAll('{{ $labels.namespace }}', labels.namespace ?? '')
      .replaceAll('{{ $labels.pod }}', labels.pod ?? '')
      .replace(/\{\{ \$value \| humanizePercentage \}\}|\{\{ printf "%\.2f" \$value \}\}/, value);
  const expected = (rule: AlertingRule, labels: Record<string, string>, value = ''): ExpectedAlert => ({
    exp_labels: { ...labels, ...rule.labels },
    exp_annotations: Object.fromEntries(Object.entries(rule.annotations).map(([key, text]) => [key, render(text, labels, value)])),
  });

  // A release-prefixed Service name, as `helm install arch charts/<service>` makes it.
  const target = { namespace: 'shop', service: `arch-${profile.name}`, job: `arch-${profile.name}`, pod: `arch-${profile.name}-5d8c7b9f4-x2x7q` };
  const other = { namespace: 'shop', service: 'arch-other', job: 'arch-other', pod: 'arch-other-6f7d8c9b5-k4m2p' };
  const request = (route: string, status: string) => ({ ...target, method: 'GET', route, status_code: status });
  const count = (labels: Record<string, string>, perStep: number): Series => ({
    series: `${m.requests}_count${labelsText(labels)}`,
    values: `0+${perStep}x40`,
  });
  const alertLabels = { namespace: target.namespace, service: target.service };

  // Latency: `fast` requests under 50 ms and `slow` ones in the bucket right above the threshold.
  const threshold = profile.latencyThresholdSeconds;
  const slowBound = latencyBuckets.find((bound) => bound > threshold);
  if (slowBound === undefined) throw new Error(`no histogram bucket above ${threshold} s`);
  const histogram = (route: string, fast: number, slow: number): Series[] =>
    [...latencyBuckets.map(String), '+Inf'].map((le) => {
      const bound = le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le);
      const cumulative = (bound >= 0.05 ? fast : 0) + (bound >= slowBound ? slow : 0);
      return { series: `${m.requests}_bucket${labelsText({ ...request(route, '200'), le })}`, values: `0+${cumulative}x40` };
    });
  const slowP95 = histogramQuantile(0.95, [
    [0.05, 3],
    [threshold, 3],
    [slowBound, 60],
  ]);

  const errors = find('HighErrorRate');
  const latency = find('HighLatency');
  const restarts = find('PodRestarting');
  const down = find('TargetDown');
  const missing = find('TargetsMissing');
  const restartSeries = (container: string, values: string): Series => ({
    series: `kube_pod_container_status_restarts_total${labelsText({ namespace: 'shop', pod: target.pod, container, job: 'kube-state-metrics' })}`,
    values,
  });
  const up = (labels: Record<string, string>, values: string): Series => ({ series: `up${labelsText({ ...labels, instance: '10.0.0.7:8000' })}`, values });

  return {
    rule_files: [`${profile.name}.rules.yaml`],
    evaluation_interval: '15s',
    tests: [
      {
        name: `${errors.alert}: 9% of requests answer 503 → pending, then firing after 2 minutes`,
        interval: '15s',
        input_series: [count(request('/items/:id', '200'), 60), count(request('/items/:id', '503'), 6)],
        alert_rule_test: [
          { eval_time: '90s', alertname: errors.alert, exp_alerts: [] },
          { eval_time: '4m', alertname: errors.alert, exp_alerts: [expected(errors, alertLabels, `${fourSignificant((6 / 66) * 100)}%`)] },
        ],
      },
      {
        name: `${errors.alert}: 1.6% 5xx stays quiet, and 503s of /ready (probes) do not count`,
        interval: '15s',
        input_series: [count(request('/items/:id', '200'), 60), count(request('/items/:id', '500'), 1), count(request('/ready', '503'), 30)],
        alert_rule_test: [
          { eval_time: '4m', alertname: errors.alert, exp_alerts: [] },
          { eval_time: '9m', alertname: errors.alert, exp_alerts: [] },
        ],
      },
      {
        name: `${latency.alert}: 95% of requests slower than ${threshold} s → firing after 5 minutes`,
        interval: '15s',
        input_series: histogram('/items/:id', 3, 57),
        alert_rule_test: [
          { eval_time: '3m', alertname: latency.alert, exp_alerts: [] },
          { eval_time: '7m', alertname: latency.alert, exp_alerts: [expected(latency, alertLabels, slowP95.toFixed(2))] },
        ],
      },
      {
        name: `${latency.alert}: fast user requests stay quiet, slow /metrics scrapes and unknown paths do not count`,
        interval: '15s',
        input_series: [...histogram('/items/:id', 60, 0), ...histogram('/metrics', 0, 30), ...histogram(notFoundRoute, 0, 30)],
        alert_rule_test: [{ eval_time: '9m', alertname: latency.alert, exp_alerts: [] }],
      },
      {
        name: `${restarts.alert}: 4 restarts in 5 minutes fire; another container's restarts do not`,
        interval: '1m',
        input_series: [restartSeries(profile.name, '0 0 1 2 3 4 4 4 4 4'), restartSeries('postgres', '0 5 10 15 20 25')],
        alert_rule_test: [
          { eval_time: '1m', alertname: restarts.alert, exp_alerts: [] },
          {
            eval_time: '5m',
            alertname: restarts.alert,
            exp_alerts: [expected(restarts, { namespace: 'shop', pod: target.pod, container: profile.name, job: 'kube-state-metrics' })],
          },
        ],
      },
      {
        name: `${restarts.alert}: one restart stays quiet`,
        interval: '1m',
        input_series: [restartSeries(profile.name, '0 0 1 1 1 1 1 1 1 1')],
        alert_rule_test: [{ eval_time: '8m', alertname: restarts.alert, exp_alerts: [] }],
      },
      {
        name: `${down.alert} and ${missing.alert}: a target that stops answering, then none at all`,
        interval: '30s',
        input_series: [up(target, '1 1 0x20'), up(other, '1x40')],
        alert_rule_test: [
          { eval_time: '2m', alertname: down.alert, exp_alerts: [] },
          { eval_time: '4m', alertname: down.alert, exp_alerts: [expected(down, { ...target, instance: '10.0.0.7:8000' })] },
          { eval_time: '4m', alertname: missing.alert, exp_alerts: [] },
          { eval_time: '22m', alertname: missing.alert, exp_alerts: [expected(missing, {})] },
        ],
      },
      {
        name: `${down.alert} and ${missing.alert}: a healthy target stays quiet, another service's outage is not ours`,
        interval: '30s',
        input_series: [up(target, '1x40'), up(other, '0x40')],
        alert_rule_test: [
          { eval_time: '10m', alertname: down.alert, exp_alerts: [] },
          { eval_time: '10m', alertname: missing.alert, exp_alerts: [] },
        ],
      },
    ],
  };
}
