import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { parse } from 'yaml';
import { alertsDir, dashboardTargets, serviceProfiles, type Dashboard, type GrafanaAlertFile, type PromtoolTestFile, type RuleFile } from '../src/index.ts';
import { needsTools, toolPaths } from '../src/harness/tools.ts';

const services = Object.keys(serviceProfiles);
const load = <T>(file: string) => parse(readFileSync(join(alertsDir, file), 'utf8')) as T;

t.test('promtool: the rule files are valid and every unit test passes', { skip: needsTools(['promtool']) }, async (t) => {
  const { promtool } = toolPaths(['promtool']);
  const ruleFiles = readdirSync(alertsDir).filter((file) => file.endsWith('.rules.yaml'));
  const testFiles = readdirSync(alertsDir).filter((file) => file.endsWith('.rules.test.yaml'));
  t.same(ruleFiles.sort(), services.map((service) => `${service}.rules.yaml`).sort(), 'a rule file per service');
  t.same(testFiles.sort(), services.map((service) => `${service}.rules.test.yaml`).sort(), 'and a test file for each');
  const check = spawnSync(promtool, ['check', 'rules', ...ruleFiles], { cwd: alertsDir, encoding: 'utf8' });
  t.equal(check.status, 0, `promtool check rules\n${check.stdout}${check.stderr}`);
  const test = spawnSync(promtool, ['test', 'rules', ...testFiles], { cwd: alertsDir, encoding: 'utf8' });
  t.equal(test.status, 0, `promtool test rules\n${test.stdout}${test.stderr}`);
  t.match(test.stdout, /SUCCESS/);
  t.notMatch(test.stdout, /FAILED/);
});

t.test('every alert has a promtool case where it fires and one where it stays quiet', async (t) => {
  for (const service of services) {
    const rules = load<RuleFile>(`${service}.rules.yaml`).groups.flatMap((group) => group.rules);
    const tests = load<PromtoolTestFile>(`${service}.rules.test.yaml`).tests.flatMap((test) => test.alert_rule_test);
    for (const rule of rules) {
      const cases = tests.filter((test) => test.alertname === rule.alert);
      t.ok(cases.some((test) => test.exp_alerts.length > 0), `${rule.alert} fires on bad series`);
      t.ok(cases.some((test) => test.exp_alerts.length === 0), `${rule.alert} stays quiet on good ones`);
    }
  }
});

t.test('the Prometheus rules are the ones the platform ships: every documented alert', async (t) => {
  for (const service of services) {
    const rules = load<RuleFile>(`${service}.rules.yaml`).groups.flatMap((group) => group.rules);
    const byName = (suffix: string) => rules.find((rule) => rule.alert.endsWith(suffix));
    const errors = byName('HighErrorRate');
    t.match(errors, { for: '2m' }, `${service}: 5xx rate, for 2 minutes`);
    t.match(errors?.expr, /status_code=~"5\.\."/);
    t.match(errors?.expr, /> 0\.05\s*$/, 'above 5%');
    t.match(byName('HighLatency'), { for: '5m', expr: /histogram_quantile\(0\.95,/ }, `${service}: p95 latency, for 5 minutes`);
    t.match(byName('PodRestarting')?.expr, /kube_pod_container_status_restarts_total/, `${service}: pod restarts`);
    t.match(byName('TargetDown')?.expr, /^up\{.*\} == 0/, `${service}: target down`);
    for (const rule of rules) {
      t.ok(rule.labels.severity, `${rule.alert} has a severity`);
      t.ok(rule.annotations.summary && rule.annotations.description, `${rule.alert} says what happened and what to look at`);
    }
  }
});

t.test('Grafana-managed rules: valid provisioning, linked to a panel that exists', async (t) => {
  const boards = new Map<string, Dashboard>();
  for (const service of services) {
    const board = JSON.parse(readFileSync(join(alertsDir, '..', `${service}.json`), 'utf8')) as Dashboard;
    boards.set(board.uid, board);
  }
  const uids = new Set<string>();
  for (const service of services) {
    const file = load<GrafanaAlertFile>(`${service}.grafana-alerts.yaml`);
    t.equal(file.apiVersion, 1);
    for (const group of file.groups) {
      t.ok(group.orgId === 1 && group.name && group.folder && /^\d+[sm]$/.test(group.interval), `${service}: group ${group.name} has orgId, name, folder, interval`);
      t.same(
        group.rules.map((rule) => rule.title.replace(/^\w+: /, '').split(' ')[0]),
        ['5xx', 'p95'],
        `${service}: the error-rate and the latency rule`,
      );
      for (const rule of group.rules) {
        t.notOk(uids.has(rule.uid), `${rule.uid} is unique`);
        uids.add(rule.uid);
        t.ok(rule.uid.length <= 40, `${rule.uid} fits Grafana's 40 characters`);
        const refIds = rule.data.map((query) => query.refId);
        t.ok(refIds.includes(rule.condition), `${rule.uid}: condition ${rule.condition} is one of its steps`);
        const [query, reduce, threshold] = rule.data;
        t.match(query, { refId: 'A', datasourceUid: 'prometheus', relativeTimeRange: { from: Number, to: 0 }, model: { expr: String } }, `${rule.uid}: a Prometheus query on kube-prometheus-stack's data source`);
        t.match(reduce, { datasourceUid: '__expr__', model: { type: 'reduce', expression: 'A', reducer: 'last' } }, `${rule.uid}: reduced to the last value`);
        t.match(threshold, { datasourceUid: '__expr__', model: { type: 'threshold', expression: 'B' } }, `${rule.uid}: a threshold on it`);
        t.match(rule, { for: /^\d+m$/, noDataState: 'OK', execErrState: 'Error', labels: { severity: String } });
        const board = boards.get(rule.dashboardUid);
        t.ok(board && dashboardTargets(board).some(({ panel }) => panel.id === rule.panelId), `${rule.uid}: links to panel ${rule.panelId} of ${rule.dashboardUid}`);
      }
    }
  }
});
