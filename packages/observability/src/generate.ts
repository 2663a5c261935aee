/**
 * The files under dashboards/ are written from this package: `pnpm dashboards` rewrites them, and
 * a test fails when the committed ones differ from what the code makes.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { grafanaAlertRules, prometheusRules, promtoolTests } from './alerts.ts';
import { serviceProfiles } from './contract.ts';
import { allDashboards } from './dashboards.ts';

export const repositoryRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const dashboardsDir = join(repositoryRoot, 'dashboards');
export const alertsDir = join(dashboardsDir, 'alerts');

const header = (what: string) =>
  `# ${what}\n# Written by \`pnpm dashboards\` from packages/observability/src/alerts.ts: edit there, not here.\n`;

const yaml = (value: unknown) => stringify(value, { lineWidth: 0, indent: 2 });

/** Path relative to the repository root → content. */
export function generatedFiles(): Map<string, string> {
  const files = new Map<string, string>();
  const dashboards = allDashboards();
  for (const [file, board] of Object.entries(dashboards)) files.set(`dashboards/${file}`, `${JSON.stringify(board, null, 2)}\n`);
  for (const profile of Object.values(serviceProfiles)) {
    const rules = prometheusRules(profile);
    const board = dashboards[`${profile.name}.json`];
    if (!board) throw new Error(`no dashboard for ${profile.name}`);
    files.set(
      `dashboards/alerts/${profile.name}.rules.yaml`,
      header(`Prometheus alert rules of the ${profile.name} service: the PrometheusRule's spec (the chart ships this file as it is) and promtool's input.`) +
        yaml(rules),
    );
    files.set(
      `dashboards/alerts/${profile.name}.rules.test.yaml`,
      header(`promtool unit tests of ${profile.name}.rules.yaml: promtool test rules dashboards/alerts/${profile.name}.rules.test.yaml`) +
        yaml(promtoolTests(profile, rules)),
    );
    files.set(
      `dashboards/alerts/${profile.name}.grafana-alerts.yaml`,
      header(
        `Grafana-managed alert rules of the ${profile.name} service (Grafana alerting provisioning format) for the Grafana alerts sidecar (label grafana_alert: "1"). Data source uid "prometheus" is kube-prometheus-stack's.`,
      ) + yaml(grafanaAlertRules(profile, board)),
    );
  }
  return files;
}

export function writeGeneratedFiles(): string[] {
  const written: string[] = [];
  for (const [path, content] of generatedFiles()) {
    const target = join(repositoryRoot, path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, content);
    written.push(path);
  }
  return written;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  for (const path of writeGeneratedFiles()) process.stdout.write(`wrote ${path}\n`);
}
