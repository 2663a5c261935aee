// A real Prometheus scraping what the rendered ServiceMonitors select, labelled as the Prometheus
// Operator labels targets, with the rendered PrometheusRules loaded (promtool-checked); then every
// panel query of the dashboards the charts ship, through the observability proof's own checks.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { localServices, type ServiceName } from '@arch/local';
import type { Dashboard } from '@arch/observability';
import { checkDashboard, summarise, type QueryWindow } from '@arch/observability/harness/checks';
import { startPrometheus, type PrometheusServer, type ScrapeTarget } from '@arch/observability/harness/prometheus';
import { toolPaths } from '@arch/observability/harness/tools';
import type { ClusterNetwork, PodEndpoint } from '../network.ts';
import { selects, type Container, type K8sObject, type LabelSelector } from '../objects.ts';
import type { Pod } from '../pods.ts';

interface ServiceMonitorSpec {
  selector: LabelSelector;
  namespaceSelector?: { matchNames?: string[]; any?: boolean };
  jobLabel?: string;
  endpoints: Array<{ port?: string; targetPort?: number | string; path?: string }>;
}

/** Scrape targets the Prometheus Operator would make of the ServiceMonitors (role endpoints). */
export async function serviceMonitorTargets(objects: readonly K8sObject[], network: ClusterNetwork, pods: ReadonlySet<Pod>, prometheus: PodEndpoint): Promise<ScrapeTarget[]> {
  const targets: ScrapeTarget[] = [];
  for (const monitor of objects.filter((object) => object.kind === 'ServiceMonitor')) {
    const spec = monitor.spec as ServiceMonitorSpec;
    const namespaces = spec.namespaceSelector?.matchNames ?? [monitor.metadata.namespace!];
    const services = objects.filter((object) => object.kind === 'Service' && (spec.namespaceSelector?.any || namespaces.includes(object.metadata.namespace!)) && selects(spec.selector, object.metadata.labels));
    for (const service of services) {
      const record = network.services.get(`${service.metadata.namespace}/${service.metadata.name}`);
      if (!record) continue;
      for (const [index, endpoint] of spec.endpoints.entries()) {
        const servicePort = record.ports.find((port) => port.name === endpoint.port);
        if (!servicePort) continue;
        for (const target of network.endpointsOf(record)) {
          const number = typeof servicePort.targetPort === 'number' ? servicePort.targetPort : target.ports[servicePort.targetPort];
          if (number === undefined) continue;
          const pod = [...pods].find((candidate) => candidate.endpoint === target);
          const container = pod?.definition.spec.containers.find((candidate: Container) => candidate.ports?.some((port) => port.containerPort === number));
          const address = await network.directRoute(prometheus, target, number);
          targets.push({
            job: `serviceMonitor/${monitor.metadata.namespace}/${monitor.metadata.name}/${index}/${target.name}`,
            address,
            labels: {
              namespace: target.namespace,
              service: record.name,
              pod: target.name,
              container: container?.name ?? '',
              endpoint: endpoint.port ?? String(number),
              job: spec.jobLabel ? (service.metadata.labels?.[spec.jobLabel] ?? record.name) : record.name,
              instance: `${target.ip}:${number}`,
              ...(endpoint.path && endpoint.path !== '/metrics' ? { __metrics_path__: endpoint.path } : {}),
            },
          });
        }
      }
    }
  }
  return targets;
}

/** Writes each PrometheusRule's groups as a rule file and has promtool check it; throws with promtool's words. */
export function ruleFiles(objects: readonly K8sObject[], dir: string, promtool: string): string[] {
  mkdirSync(dir, { recursive: true });
  return objects
    .filter((object) => object.kind === 'PrometheusRule')
    .map((rule) => {
      const file = join(dir, `${rule.metadata.namespace}-${rule.metadata.name}.rules.yaml`);
      writeFileSync(file, stringify({ groups: (rule.spec as { groups: unknown[] }).groups }));
      try {
        execFileSync(promtool, ['check', 'rules', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      } catch (err) {
        throw new Error(`promtool check rules ${rule.metadata.name}: ${(err as { stdout?: string }).stdout ?? ''}${(err as { stderr?: string }).stderr ?? ''}`);
      }
      return file;
    });
}

export async function startClusterPrometheus(options: { objects: readonly K8sObject[]; network: ClusterNetwork; pods: ReadonlySet<Pod>; prometheus: PodEndpoint; workDir: string }): Promise<{ server: PrometheusServer; targets: ScrapeTarget[]; rules: string[]; started: number }> {
  const tools = toolPaths(['prometheus', 'promtool']);
  const targets = await serviceMonitorTargets(options.objects, options.network, options.pods, options.prometheus);
  const rules = ruleFiles(options.objects, join(options.workDir, 'rules'), tools.promtool);
  // every second, not the ServiceMonitors' 15-30 s: a rehearsal of minutes still gets its rates
  const server = await startPrometheus({ binary: tools.prometheus, targets, ruleFiles: rules, scrapeIntervalSeconds: 1 });
  return { server, targets, rules, started: Math.floor(Date.now() / 1000) };
}

/** The dashboards the charts ship: every JSON file of the ConfigMaps labelled grafana_dashboard: "1". */
export function shippedDashboards(objects: readonly K8sObject[]): Array<{ file: string; board: Dashboard }> {
  return objects
    .filter((object) => object.kind === 'ConfigMap' && object.metadata.labels?.grafana_dashboard === '1')
    .flatMap((map) => Object.entries((map.data ?? {}) as Record<string, string>).filter(([file]) => file.endsWith('.json')).map(([file, text]) => ({ file, board: JSON.parse(text) as Dashboard })));
}

export async function panelsCheck(options: { objects: readonly K8sObject[]; server: PrometheusServer; started: number; targets: ScrapeTarget[] }): Promise<{ ok: boolean; detail: string }> {
  const { client } = options.server;
  const targets = await client.targets();
  const down = targets.filter((target) => target.health !== 'up');
  const window: QueryWindow = { start: options.started, end: Math.ceil(Date.now() / 1000), step: 1, scrapeSeconds: options.server.scrapeIntervalSeconds };
  const knownServices = localServices.map((service) => service.name);
  const running = knownServices.filter((name) => options.targets.some((target) => target.labels.service === name));
  const lines: string[] = [`${targets.length} targets (${options.targets.length} from ServiceMonitors), ${down.length} down${down.map((target) => `\n  down: ${target.labels.pod} ${target.lastError}`).join('')}`];
  let failures = down.length + (targets.length === options.targets.length ? 0 : 1);
  const seen = new Set<string>();
  for (const { file, board } of shippedDashboards(options.objects)) {
    if (seen.has(file)) continue;
    seen.add(file);
    const service = knownServices.find((name) => `${name}.json` === file);
    const prefer = (variable: string, values: string[]) => {
      const wanted = variable === 'database' || variable === 'service' ? service : undefined;
      return wanted !== undefined && values.includes(wanted) ? wanted : undefined;
    };
    const check = await checkDashboard({ file, board, client, window, running: running as ServiceName[], knownServices, selection: 'all', prefer });
    failures += check.targets.filter((target) => target.verdict === 'FAILED').length + check.emptyVariables.length;
    lines.push(summarise(check) + (check.emptyVariables.length ? `\n  empty variables: ${check.emptyVariables.join(', ')}` : ''));
  }
  const rules = await client.rules();
  const broken = rules.filter((rule) => rule.health === 'err');
  failures += broken.length;
  lines.push(`${rules.length} rules loaded${broken.map((rule) => `\n  rule ${rule.name}: ${rule.lastError}`).join('')}`);
  return { ok: failures === 0 && seen.size > 0, detail: lines.join('\n') };
}
