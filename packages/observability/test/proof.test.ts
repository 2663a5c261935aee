// The proof: the local stack on the real Postgres and Redis, both exporters, and a real Prometheus
// scraping them every second; traffic with 4xx, 5xx (the database cut) and slow answers (the
// database slowed down); then every dashboard query, every alert expression and the label contract.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { parse } from 'yaml';
import { eventually, needsRealPostgres, realPostgresUrl } from '@arch/kit/testing';
import { localServices, type ServiceName } from '@arch/local';
import {
  alertsDir,
  dashboardsDir,
  errorRatioExpr,
  latencyP95Expr,
  serviceProfiles,
  latencyBuckets,
  notFoundRoute,
  repositoryRoot,
  serviceMetrics,
  type Dashboard,
  type GrafanaAlertFile,
} from '../src/index.ts';
import { checkDashboard, summarise, type QueryWindow } from '../src/harness/checks.ts';
import { ruleFilesIn, startObservedStack } from '../src/harness/stack.ts';
import { needsTools } from '../src/harness/tools.ts';
import { freshSessions, operationsOf, redisRound, runFor, scenarios, sweep, TrafficLog, type Operation } from '../src/harness/traffic.ts';

/** A number that would show up in a label if a raw URL ever became one. */
const MARKER = '987654321';

function needsRedis(): string | false {
  if (process.env.TEST_REDIS_URL) return false;
  if (process.env.CI === 'true') throw new Error('CI=true but TEST_REDIS_URL is not set: this test needs the real Redis');
  return 'TEST_REDIS_URL is not set (a real Redis is needed for this test)';
}

const skip = needsTools(['prometheus', 'postgresExporter', 'redisExporter']) || needsRealPostgres() || needsRedis();

t.test('dashboards, alerts and the metrics contract against a real Prometheus scraping the local stack', { skip, timeout: 240_000 }, async (t) => {
  const began = Date.now();
  const observed = await startObservedStack({
    root: repositoryRoot,
    databaseUrl: realPostgresUrl()!,
    redisUrl: process.env.TEST_REDIS_URL!,
    ruleFiles: ruleFilesIn(alertsDir),
  });
  t.teardown(observed.stop);
  const { stack, databaseProxy } = observed;
  const client = observed.prometheus.client;
  const running = stack.services.map((service) => service.name);
  const knownServices = localServices.map((service) => service.name);
  const absent = knownServices.filter((name) => !running.includes(name));
  t.comment(`services running: ${running.join(', ')}${absent.length ? `; not in this worktree (their panels are not applicable): ${absent.join(', ')}` : ''}`);

  t.ok(
    await eventually(async () => {
      const targets = await client.targets();
      return targets.length === running.length + 2 && targets.every((target) => target.health === 'up');
    }, 20_000),
    'Prometheus scrapes every service and both exporters',
  );

  // ---- traffic ----
  const operations = new Map<ServiceName, Operation[]>();
  for (const service of stack.services) operations.set(service.name, await operationsOf(service.url));
  const log = new TrafficLog();
  const withScenario = running.filter((name) => scenarios[name] !== undefined);
  const round = async () => {
    for (const name of withScenario) await scenarios[name]!(stack.gatewayUrl, log, MARKER);
  };
  const sweepAll = async () => {
    for (const service of stack.services) await sweep(service.url, operations.get(service.name) ?? [], MARKER, log);
  };
  const redisPrefix = `arch-obs-proof:${process.pid}`;
  const alertsSeen = new Set<string>();
  const watchAlerts = async (until: () => boolean) => {
    while (!until()) {
      for (const alert of await client.alerts().catch(() => [])) alertsSeen.add(`${alert.labels.alertname}:${alert.labels.service}`);
      await sleep(500);
    }
  };
  const trafficStart = Math.floor(Date.now() / 1000);

  await sweepAll();
  await redisRound(process.env.TEST_REDIS_URL!, redisPrefix);
  await runFor(5000, 3, 300, round);
  t.comment(`normal traffic: ${log.describe()}`);

  // A fault phase lasts at least minMs, and goes on (up to maxMs) until the alert it should raise is
  // pending for every service with a scenario: on a busy machine the traffic is slower to get there.
  const expectedAlerts = (kind: 'HighErrorRate' | 'HighLatency') =>
    withScenario.map((name) => `${name.charAt(0).toUpperCase()}${name.slice(1)}${kind}:${name}`);
  const faultPhase = async (kind: 'HighErrorRate' | 'HighLatency', minMs: number, maxMs: number, concurrency: number, pauseMs: number) => {
    const started = Date.now();
    let done = false;
    const traffic = async () => {
      while (!done) {
        await runFor(1000, concurrency, pauseMs, round);
        const elapsed = Date.now() - started;
        if (elapsed >= maxMs || (elapsed >= minMs && expectedAlerts(kind).every((alert) => alertsSeen.has(alert)))) done = true;
      }
    };
    await Promise.all([traffic(), sweepAll(), watchAlerts(() => done)]);
    t.comment(`${kind} phase lasted ${((Date.now() - started) / 1000).toFixed(1)} s`);
  };

  // The database slows down: answers take longer than the latency threshold.
  databaseProxy.latencyMs = 300;
  await faultPhase('HighLatency', 5000, 25_000, 12, 0);
  databaseProxy.latencyMs = 0;
  t.comment(`after the slow database: ${log.describe()}`);

  // The database goes away: 503s. Up to a whole rate window (the rules' [1m]): on a busy machine the
  // slow phase's many answers before it can keep a service's 5xx ratio under the threshold for longer.
  const outageConcurrency = 3;
  if (withScenario.includes('app')) await freshSessions(stack.gatewayUrl, log, outageConcurrency);
  await databaseProxy.stop();
  await faultPhase('HighErrorRate', 4000, 60_000, outageConcurrency, 300);
  await databaseProxy.start();
  t.comment(`after the outage: ${log.describe()}`);

  await runFor(3000, 3, 300, round);
  await sweepAll();
  await redisRound(process.env.TEST_REDIS_URL!, redisPrefix);
  t.comment(`traffic done: ${log.describe()}`);
  t.ok(log.count((status) => status >= 500) > 0, 'the traffic had 5xx answers');
  t.ok(log.count((status) => status >= 400 && status < 500) > 0, 'and 4xx answers');
  if (withScenario.length > 0) t.ok(log.slowestMs >= 500, `and slow ones (slowest ${Math.round(log.slowestMs)} ms)`);

  // Two more scrapes so the last answers are in.
  await sleep(observed.prometheus.scrapeIntervalSeconds * 2500);
  const window: QueryWindow = {
    start: trafficStart - 2,
    end: Math.ceil(Date.now() / 1000),
    step: 1,
    scrapeSeconds: observed.prometheus.scrapeIntervalSeconds,
  };

  // ---- the metrics contract ----
  await t.test('metrics contract: every route under its template, never a raw URL', async (t) => {
    for (const service of stack.services) {
      const series = await client.series(`${serviceMetrics.requests}_count{service="${service.name}"}`, window.start, window.end);
      const seen = new Set(series.map((labels) => `${labels.method} ${labels.route}`));
      const routes = new Set(series.map((labels) => labels.route ?? ''));
      const documented = operations.get(service.name) ?? [];
      t.ok(documented.length > 0, `${service.name}: its OpenAPI document lists its routes`);
      for (const operation of documented) t.ok(seen.has(`${operation.method} ${operation.route}`), `${service.name}: ${operation.method} ${operation.route} has series`);
      const allowed = new Set([...documented.map((operation) => operation.route), '/metrics', '/openapi.json', notFoundRoute]);
      const unexpected = [...routes].filter((route) => !allowed.has(route));
      t.same(unexpected, [], `${service.name}: every route label is a registered template or ${notFoundRoute}`);
      t.ok(routes.has(notFoundRoute), `${service.name}: unknown paths are counted as ${notFoundRoute}`);
      const buckets = new Set((await client.series(`${serviceMetrics.requests}_bucket{service="${service.name}"}`, window.start, window.end)).map((labels) => labels.le));
      t.same([...buckets].sort(), [...latencyBuckets.map(String), '+Inf'].sort(), `${service.name}: histogram buckets are the ones the alerts assume`);
    }
    const leaked = await client.series(`{route=~".*(${MARKER}|/[0-9]+(/.*)?$).*"}`, window.start, window.end);
    t.same(leaked.map((labels) => labels.route), [], 'no route label carries an id');
  });

  // ---- dashboards ----
  await t.test('every dashboard query evaluates with its variables filled; data wherever its source ran', async (t) => {
    const files = readdirSync(dashboardsDir).filter((file) => file.endsWith('.json'));
    t.ok(files.length >= 4, `dashboards: ${files.join(', ')}`);
    for (const file of files) {
      const board = JSON.parse(readFileSync(join(dashboardsDir, file), 'utf8')) as Dashboard;
      const service = knownServices.find((name) => `${name}.json` === file);
      const prefer = (variable: string, options: string[]) => {
        const wanted = variable === 'database' && service ? observed.databases.get(service) : variable === 'service' ? service : undefined;
        return wanted !== undefined && options.includes(wanted) ? wanted : undefined;
      };
      for (const selection of ['all', 'first'] as const) {
        const check = await checkDashboard({ file, board, client, window, running, knownServices, selection, prefer });
        const failed = check.targets.filter((target) => target.verdict === 'FAILED');
        t.comment(`${selection === 'all' ? 'All' : 'one value each'}: ${summarise(check)}`);
        t.equal(failed.length, 0, `${file} (${selection === 'all' ? 'variables at All' : 'one value each'}): no query fails, no data missing`);
        t.same(check.emptyVariables, [], `${file}: every variable whose source ran has values`);
        if (selection === 'all' && check.applicable) {
          t.ok(check.targets.some((target) => target.verdict === 'data'), `${file}: its panels show data`);
        }
      }
    }
  });

  // ---- alerts ----
  await t.test('every alert expression evaluates: the Prometheus rules in Prometheus, the Grafana ones by query', async (t) => {
    const rules = await client.rules();
    const files = readdirSync(alertsDir).filter((file) => file.endsWith('.rules.yaml'));
    const declared = files.flatMap((file) => (parse(readFileSync(join(alertsDir, file), 'utf8')) as { groups: Array<{ rules: Array<{ alert: string }> }> }).groups.flatMap((group) => group.rules.map((rule) => rule.alert)));
    t.same(rules.map((rule) => rule.name).sort(), [...declared].sort(), 'Prometheus loaded every rule of every file');
    for (const rule of rules) t.equal(rule.health, 'ok', `${rule.name}: evaluates (${rule.lastError ?? 'no error'})`);

    t.comment(`alerts seen pending or firing during the traffic: ${[...alertsSeen].sort().join(', ') || 'none'}`);
    for (const name of withScenario) {
      const profile = serviceProfiles[name];
      const peak = async (expr: string) => {
        const values = (await client.queryRange(expr, window.start, window.end, 1)).flatMap((series) => series.values.map(([, value]) => Number(value)));
        return Math.max(...values.filter(Number.isFinite));
      };
      t.comment(`${name}: 5xx ratio peaked at ${(100 * (await peak(errorRatioExpr(profile)))).toFixed(1)}%, p95 at ${(await peak(latencyP95Expr(profile))).toFixed(2)} s`);
      const prefix = name.charAt(0).toUpperCase() + name.slice(1);
      t.ok(alertsSeen.has(`${prefix}HighErrorRate:${name}`), `${prefix}HighErrorRate went pending while the database was cut`);
      t.ok(alertsSeen.has(`${prefix}HighLatency:${name}`), `${prefix}HighLatency went pending while the database was slow`);
    }

    for (const file of readdirSync(alertsDir).filter((candidate) => candidate.endsWith('.grafana-alerts.yaml'))) {
      const provisioning = parse(readFileSync(join(alertsDir, file), 'utf8')) as GrafanaAlertFile;
      for (const rule of provisioning.groups.flatMap((group) => group.rules)) {
        const service = rule.labels.arch_service as ServiceName | undefined;
        for (const query of rule.data.filter((candidate) => candidate.datasourceUid !== '__expr__')) {
          const expr = String(query.model.expr);
          const result = await client.queryRange(expr, window.start, window.end, window.step).then(
            (samples) => samples,
            (err: Error) => err,
          );
          if (result instanceof Error) {
            t.fail(`${file} ${rule.uid}: ${result.message}`);
            continue;
          }
          if (service && running.includes(service)) {
            t.ok(result.some((series) => series.values.some(([, value]) => Number.isFinite(Number(value)))), `${file} ${rule.uid} [${query.refId}]: evaluates, with data`);
          } else {
            t.pass(`${file} ${rule.uid} [${query.refId}]: evaluates (the ${service} service is not running: no data expected)`);
          }
        }
      }
    }
  });

  t.comment(`proof took ${Math.round((Date.now() - began) / 1000)} s`);
});
