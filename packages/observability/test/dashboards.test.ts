import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import {
  classify,
  dashboardTargets,
  generatedFiles,
  metricNames,
  repositoryRoot,
  SCHEMA_VERSION,
  serviceProfiles,
  type Dashboard,
  type Panel,
  type RowPanel,
} from '../src/index.ts';
import { interpolate } from '../src/template.ts';

const read = (path: string) => readFileSync(join(repositoryRoot, path), 'utf8');
const listed = (dir: string) =>
  readdirSync(join(repositoryRoot, dir), { withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => `${dir}/${entry.name}`);

t.test('dashboards/ is exactly what `pnpm dashboards` writes', async (t) => {
  const generated = generatedFiles();
  const onDisk = [...listed('dashboards'), ...listed('dashboards/alerts')].sort();
  t.same(onDisk, [...generated.keys()].sort(), 'no file missing, none extra');
  for (const [path, content] of generated) t.ok(read(path) === content, `${path} is up to date (run pnpm dashboards after changing packages/observability)`);
});

const boards = Object.fromEntries(
  readdirSync(join(repositoryRoot, 'dashboards'))
    .filter((file) => file.endsWith('.json'))
    .map((file) => [file, JSON.parse(read(`dashboards/${file}`)) as Dashboard]),
);

const UNITS = new Set(['s', 'reqps', 'percentunit', 'bytes', 'short', 'ops', 'none']);

t.test('every dashboard: schema, layout, units, legends, variables', async (t) => {
  t.same(Object.keys(boards).sort(), ['app.json', 'auth.json', 'overview.json', 'product.json']);
  const uids = new Set<string>();
  for (const [file, board] of Object.entries(boards)) {
    t.ok(board.schemaVersion >= SCHEMA_VERSION, `${file}: schemaVersion ${board.schemaVersion}`);
    t.notOk(uids.has(board.uid), `${file}: uid ${board.uid} is unique`);
    uids.add(board.uid);
    t.ok(board.uid.length <= 40, `${file}: uid fits Grafana's 40 characters`);

    const names = board.templating.list.map((variable) => variable.name);
    for (const name of ['datasource', 'namespace', 'pod', 'route']) t.ok(names.includes(name), `${file}: variable $${name}`);
    for (const variable of board.templating.list) {
      if (variable.type !== 'query') continue;
      if (['pod', 'route'].includes(variable.name)) t.ok(variable.includeAll && variable.multi, `${file}: $${variable.name} offers All and multi-select`);
      if (variable.regex) {
        const source = /^\/(.*)\/[a-z]*$/s.exec(variable.regex)?.[1] ?? '';
        // Grafana uses a regex's first capture group as the value: only non-capturing groups here.
        t.equal(new RegExp(`${source}|`).exec('')!.length, 1, `${file}: $${variable.name} regex ${variable.regex} captures nothing`);
      }
    }

    const ids = new Set<number>();
    const occupied = new Set<string>();
    const visit = (panel: Panel | RowPanel) => {
      t.notOk(ids.has(panel.id), `${file}: panel id ${panel.id} is unique`);
      ids.add(panel.id);
      const { x, y, w, h } = panel.gridPos;
      t.ok(x >= 0 && x + w <= 24, `${file}: "${panel.title}" fits the 24 columns`);
      for (let column = x; column < x + w; column++) {
        for (let line = y; line < y + h; line++) {
          const cell = `${column},${line}`;
          if (occupied.has(cell)) t.fail(`${file}: "${panel.title}" overlaps another panel at ${cell}`);
          occupied.add(cell);
        }
      }
      if (panel.type === 'row') return;
      t.ok(panel.description.length > 10, `${file}: "${panel.title}" says what it shows`);
      t.ok(UNITS.has(panel.fieldConfig.defaults.unit), `${file}: "${panel.title}" has a unit (${panel.fieldConfig.defaults.unit})`);
      t.ok(panel.targets.length > 0, `${file}: "${panel.title}" has queries`);
      t.same(
        panel.targets.map((target) => target.refId),
        panel.targets.map((_, index) => String.fromCharCode(65 + index)),
        `${file}: "${panel.title}" refIds A, B, …`,
      );
    };
    board.panels.forEach(visit);

    const values = Object.fromEntries(
      [...names, '__rate_interval', '__interval', '__range'].map((name) => [name, name.startsWith('__') ? '1m' : 'x']),
    );
    for (const { panel, target } of dashboardTargets(board)) {
      t.equal(target.datasource.uid, '${datasource}', `${file}: "${panel.title}" uses the $datasource variable`);
      t.doesNotThrow(() => interpolate(target.expr, values), `${file}: "${panel.title}" [${target.refId}] uses only variables the dashboard defines`);
      t.doesNotThrow(() => classify(target.expr), `${file}: "${panel.title}" [${target.refId}] reads only metrics whose source is known`);
      if (/by route/.test(panel.title)) t.match(target.legendFormat, /\{\{method\}\} \{\{route\}\}/, `${file}: "${panel.title}" legend names method and route`);
    }
  }
});

t.test('each service dashboard covers the issue: per route and service, ingress, pods, Postgres, pool, and the cache for product', async (t) => {
  const required = [
    'http_request_duration_seconds_bucket',
    'http_request_duration_seconds_count',
    'http_request_summary_seconds',
    'nginx_ingress_controller_requests',
    'nginx_ingress_controller_request_duration_seconds_bucket',
    'container_cpu_usage_seconds_total',
    'container_memory_working_set_bytes',
    'pg_stat_activity_count',
    'pg_stat_database_xact_commit',
    'pg_stat_database_blks_hit',
    'pg_stat_database_deadlocks',
    'db_pool_connections',
  ];
  const cache = ['cache_requests_total', 'redis_keyspace_hits_total', 'redis_memory_used_bytes', 'redis_evicted_keys_total', 'redis_commands_processed_total'];
  for (const [file, board] of Object.entries(boards)) {
    const used = new Set(dashboardTargets(board).flatMap(({ target }) => metricNames(target.expr)));
    const profile = Object.values(serviceProfiles).find((candidate) => `${candidate.name}.json` === file);
    const expected = [...required, ...(profile === undefined || profile.cache ? cache : [])];
    t.same(expected.filter((metric) => !used.has(metric)), [], `${file} uses every metric it must show`);
    const titles = dashboardTargets(board).map(({ panel }) => panel.title);
    for (const quantile of ['p50', 'p95', 'p99', 'max']) t.ok(titles.some((title) => title.includes(`Latency ${quantile} by`)), `${file}: latency ${quantile} per group`);
  }
});

t.test('metricNames reads metric names, not functions, labels or keywords', async (t) => {
  t.same(
    metricNames('max by (pod) ((a{x="1", state="total"} - ignoring(state) b{y=~"$v"}) / on(pod) group_left c[5m] offset 1m) > bool 0.5 or vector(0)'),
    ['a', 'b', 'c'],
  );
  t.same(metricNames('histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{route!~"/a|b"}[$__rate_interval])))'), ['http_request_duration_seconds_bucket']);
  t.throws(() => classify('some_unknown_metric'), /no source/);
  t.same(classify('rate(cache_requests_total[1m]) / up').requires, ['product']);
  t.equal(classify('container_memory_working_set_bytes / on(pod) db_pool_connections').expectation, 'parse');
});
