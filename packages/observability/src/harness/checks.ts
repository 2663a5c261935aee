/**
 * What the proof asks of each dashboard and alert file, against a Prometheus that scraped the
 * running stack: every panel query evaluates with its template variables filled, and returns data
 * where its metrics come from something that ran (sources.ts says which).
 */
import type { ServiceName } from '@arch/local';
import { dashboardTargets, type Dashboard } from '../grafana.ts';
import { classify, type Classification } from '../sources.ts';
import { builtinVariables, interpolate, resolveVariables, type ResolvedVariable, type Selection } from '../template.ts';
import type { PrometheusClient, Sample } from './prometheus.ts';

export type Verdict = 'data' | 'parsed' | 'not applicable' | 'FAILED';

export interface TargetCheck {
  dashboard: string;
  panel: string;
  refId: string;
  expr: string;
  classification?: Classification;
  verdict: Verdict;
  detail: string;
}

export interface QueryWindow {
  start: number;
  end: number;
  step: number;
  scrapeSeconds: number;
}

const hasFiniteValue = (result: Sample[]) => result.some((series) => series.values.some(([, value]) => Number.isFinite(Number(value))));

/** The service a dashboard file is about (`app.json` → app), or undefined for the overview. */
export function dashboardService(file: string, services: readonly ServiceName[]): ServiceName | undefined {
  const stem = file.replace(/\.json$/, '');
  return services.find((service) => service === stem);
}

export interface DashboardCheck {
  file: string;
  service: ServiceName | undefined;
  applicable: boolean;
  variables: Map<string, ResolvedVariable>;
  targets: TargetCheck[];
  /** Variables that found no value though their metrics come from something that ran. */
  emptyVariables: string[];
}

/**
 * Evaluates every target of a dashboard over the window. `all`: variables at All (the first value
 * where there is no All) and data demanded per classification; `first`: one value each, and
 * only that every query evaluates.
 */
export async function checkDashboard(options: {
  file: string;
  board: Dashboard;
  client: PrometheusClient;
  window: QueryWindow;
  running: readonly ServiceName[];
  knownServices: readonly ServiceName[];
  selection: Selection;
  prefer?: (variable: string, options: string[]) => string | undefined;
}): Promise<DashboardCheck> {
  const { board, client, window } = options;
  const service = dashboardService(options.file, options.knownServices);
  const applicable = service === undefined || options.running.includes(service);
  const variables = await resolveVariables(board, client, window, options.selection, options.prefer);
  const emptyVariables: string[] = [];
  if (applicable) {
    for (const variable of board.templating.list) {
      if (variable.type !== 'query' || variables.get(variable.name)?.options.length) continue;
      const selector = /^label_values\((.+),\s*\w+\)$/s.exec(variable.query.query)?.[1] ?? '';
      const needed = classify(selector);
      if (needed.expectation === 'data' && needed.requires.every((name) => options.running.includes(name))) emptyVariables.push(variable.name);
    }
  }
  const values = {
    ...Object.fromEntries([...variables.values()].map((variable) => [variable.name, variable.formatted])),
    ...builtinVariables(window.end - window.start, window.step, window.scrapeSeconds),
  };
  const targets: TargetCheck[] = [];
  for (const { panel, target } of dashboardTargets(board)) {
    const check: TargetCheck = { dashboard: options.file, panel: panel.title, refId: target.refId, expr: target.expr, verdict: 'FAILED', detail: '' };
    targets.push(check);
    try {
      check.expr = interpolate(target.expr, values);
      check.classification = classify(target.expr);
      const result = await client.queryRange(check.expr, window.start, window.end, window.step);
      const { expectation, requires } = check.classification;
      const missing = requires.filter((name) => !options.running.includes(name));
      if (!applicable) {
        check.verdict = 'not applicable';
        check.detail = `the ${service} service is not running; the query evaluates`;
      } else if (missing.length > 0) {
        check.verdict = 'not applicable';
        check.detail = `needs the ${missing.join(', ')} service, not running; the query evaluates`;
      } else if (expectation === 'parse' || options.selection === 'first') {
        check.verdict = 'parsed';
        check.detail = expectation === 'parse' ? `${check.classification.sources.join(', ')}: cluster only, the query evaluates` : 'evaluates';
      } else if (hasFiniteValue(result)) {
        check.verdict = 'data';
        check.detail = `${result.length} series`;
      } else {
        check.detail = `no data (${result.length} series without a finite value) from ${check.classification.sources.join(', ')}`;
      }
    } catch (err) {
      check.detail = (err as Error).message;
    }
  }
  return { file: options.file, service, applicable, variables, targets, emptyVariables };
}

/** One line per verdict count, and every failure in full. */
export function summarise(check: DashboardCheck): string {
  const counts = new Map<Verdict, number>();
  for (const target of check.targets) counts.set(target.verdict, (counts.get(target.verdict) ?? 0) + 1);
  const head = `${check.file}: ${[...counts.entries()].map(([verdict, count]) => `${count} ${verdict}`).join(', ')}${check.applicable ? '' : ` (the ${check.service} service is not running: not applicable)`}`;
  const failures = check.targets.filter((target) => target.verdict === 'FAILED').map((target) => `  FAILED ${target.panel} [${target.refId}]: ${target.detail}\n    ${target.expr}`);
  return [head, ...failures].join('\n');
}
