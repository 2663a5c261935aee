/**
 * Grafana's template variables, done the way Grafana does them for a Prometheus data source: a
 * variable's `label_values(…)` query asks Prometheus, its regex filters (first capture group as
 * the value), and a query gets each value escaped and multi-values or "All" as `(a|b)`.
 */
import type { Dashboard, QueryVariable } from './grafana.ts';
import type { PrometheusClient } from './harness/prometheus.ts';

/** Grafana's prometheusRegularEscape: a single value of a single-value variable. */
export const regularEscape = (value: string) => value.replace(/\\/g, '\\\\').replace(/'/g, "\\\\'");

/** Grafana's prometheusSpecialRegexEscape: values of multi-value and "All" variables, inside `=~"…"`. */
export const regexEscape = (value: string) => value.replace(/\\/g, '\\\\\\\\').replace(/[$^*{}[\]'+?.()|]/g, '\\\\$&');

/** What `$name` becomes in a query for the selected values. */
export function formatValue(variable: QueryVariable, selected: string[], all: boolean): string {
  if (all && variable.allValue !== undefined) return variable.allValue;
  if (!variable.multi && !variable.includeAll) return regularEscape(selected[0] ?? '');
  const escaped = selected.map(regexEscape);
  return escaped.length === 1 ? escaped[0]! : `(${escaped.join('|')})`;
}

/** Replaces `$name` and `${name}`; a variable the dashboard does not define is an error. */
export function interpolate(expr: string, values: Record<string, string>): string {
  return expr.replace(/\$\{(\w+)\}|\$(\w+)/g, (whole, braced: string | undefined, bare: string | undefined) => {
    const name = braced ?? bare ?? '';
    const value = values[name];
    if (value === undefined) throw new Error(`undefined variable ${whole} in ${expr}`);
    return value;
  });
}

/** Grafana's built-in interval variables for a panel of `rangeSeconds` at `stepSeconds`, scraped every `scrapeSeconds`. */
export function builtinVariables(rangeSeconds: number, stepSeconds: number, scrapeSeconds: number): Record<string, string> {
  // $__rate_interval = max($__interval + scrape interval, 4 × scrape interval)
  const rateInterval = Math.max(stepSeconds + scrapeSeconds, 4 * scrapeSeconds);
  return {
    __interval: `${stepSeconds}s`,
    __interval_ms: String(stepSeconds * 1000),
    __rate_interval: `${rateInterval}s`,
    __range: `${Math.round(rangeSeconds)}s`,
    __range_s: String(Math.round(rangeSeconds)),
  };
}

const LABEL_VALUES = /^label_values\(\s*(?:(.+),\s*)?([a-zA-Z_][a-zA-Z0-9_]*)\s*\)$/s;

/** Applies a variable's `/regex/flags` to the values, as Grafana does. */
export function filterByRegex(values: string[], regex: string): string[] {
  if (!regex) return values;
  const parsed = /^\/(.*)\/([gimsuy]*)$/s.exec(regex);
  if (!parsed) throw new Error(`variable regex ${regex} is not /pattern/flags`);
  const pattern = new RegExp(parsed[1]!, parsed[2]);
  const kept: string[] = [];
  for (const value of values) {
    const match = pattern.exec(value);
    if (!match) continue;
    kept.push(match.length > 1 && match[1] !== undefined ? match[1] : value);
  }
  return [...new Set(kept)];
}

export interface ResolvedVariable {
  name: string;
  options: string[];
  selected: string[];
  all: boolean;
  formatted: string;
}

export type Selection = 'all' | 'first';

/**
 * Resolves every query variable in order (later ones may use earlier ones), against a real
 * Prometheus, over [start, end]. `all`: every variable that offers All takes it, the others their
 * first value (or `prefer`'s pick); `first`: every variable takes one value.
 */
export async function resolveVariables(
  board: Dashboard,
  client: PrometheusClient,
  range: { start: number; end: number },
  selection: Selection,
  prefer: (variable: string, options: string[]) => string | undefined = () => undefined,
): Promise<Map<string, ResolvedVariable>> {
  const resolved = new Map<string, ResolvedVariable>();
  const values = (): Record<string, string> => Object.fromEntries([...resolved.values()].map((variable) => [variable.name, variable.formatted]));
  for (const variable of board.templating.list) {
    if (variable.type !== 'query') continue;
    const query = interpolate(variable.query.query, values());
    const parsed = LABEL_VALUES.exec(query.trim());
    if (!parsed) throw new Error(`variable ${variable.name}: only label_values(…) queries are supported, got ${query}`);
    const [, selector, label] = parsed;
    let found: string[];
    if (selector) {
      const series = await client.series(selector, range.start, range.end);
      found = series.map((labels) => labels[label!]).filter((value): value is string => value !== undefined);
    } else {
      throw new Error(`variable ${variable.name}: label_values without a selector would list the whole server`);
    }
    const options = filterByRegex([...new Set(found)], variable.regex).sort();
    const all = selection === 'all' && variable.includeAll && options.length > 0;
    const picked = prefer(variable.name, options) ?? options[0];
    const selected = all ? options : picked !== undefined ? [picked] : [];
    // No value at all: Grafana would show "None"; a value that matches nothing keeps the query valid.
    const formatted = selected.length === 0 ? '__no_value__' : formatValue(variable, selected, all);
    resolved.set(variable.name, { name: variable.name, options, selected, all, formatted });
  }
  return resolved;
}
