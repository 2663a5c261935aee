import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { freePort } from '@arch/kit/testing';
import { startProcess, waitForHttp, type RunningProcess } from './processes.ts';

/** A scrape target with the labels a kube-prometheus-stack ServiceMonitor would give it. */
export interface ScrapeTarget {
  job: string;
  /** host:port */
  address: string;
  labels: Record<string, string>;
}

export interface Sample {
  metric: Record<string, string>;
  values: Array<[number, string]>;
}

export interface InstantSample {
  metric: Record<string, string>;
  value: [number, string];
}

export interface RuleState {
  name: string;
  type: 'alerting' | 'recording';
  health: string;
  lastError?: string;
  state?: string;
  query: string;
}

export interface AlertState {
  labels: Record<string, string>;
  state: 'pending' | 'firing';
  value: string;
}

/** A failed query: Prometheus' own words, with the query. */
export class QueryError extends Error {
  readonly query: string;
  constructor(query: string, message: string) {
    super(`${message}\n  in: ${query}`);
    this.query = query;
  }
}

/** The HTTP API of a Prometheus server: https://prometheus.io/docs/prometheus/latest/querying/api/ */
export class PrometheusClient {
  readonly url: string;
  constructor(url: string) {
    this.url = url;
  }

  private async call<T>(path: string, params: Record<string, string | string[]>, query = ''): Promise<T> {
    const body = new URLSearchParams();
    for (const [key, value] of Object.entries(params)) for (const item of Array.isArray(value) ? value : [value]) body.append(key, item);
    const response = await fetch(`${this.url}${path}`, { method: 'POST', body, signal: AbortSignal.timeout(15_000) });
    const answer = (await response.json()) as { status: string; data: T; error?: string; errorType?: string };
    if (answer.status !== 'success') throw new QueryError(query || JSON.stringify(params), `${answer.errorType ?? 'error'}: ${answer.error ?? response.status}`);
    return answer.data;
  }

  async query(expr: string, time?: number): Promise<InstantSample[]> {
    const data = await this.call<{ resultType: string; result: InstantSample[] | [number, string] }>(
      '/api/v1/query',
      { query: expr, ...(time !== undefined ? { time: String(time) } : {}) },
      expr,
    );
    if (data.resultType === 'scalar') return [{ metric: {}, value: data.result as [number, string] }];
    return data.result as InstantSample[];
  }

  async queryRange(expr: string, start: number, end: number, step: number): Promise<Sample[]> {
    const data = await this.call<{ resultType: string; result: Sample[] }>(
      '/api/v1/query_range',
      { query: expr, start: String(start), end: String(end), step: String(step) },
      expr,
    );
    return data.result;
  }

  /** Label sets of the series matching a selector within [start, end]. */
  async series(match: string, start: number, end: number): Promise<Array<Record<string, string>>> {
    const data = await fetch(`${this.url}/api/v1/series?${new URLSearchParams({ 'match[]': match, start: String(start), end: String(end) })}`, {
      signal: AbortSignal.timeout(15_000),
    });
    const answer = (await data.json()) as { status: string; data: Array<Record<string, string>>; error?: string };
    if (answer.status !== 'success') throw new QueryError(match, answer.error ?? 'series failed');
    return answer.data;
  }

  async rules(): Promise<RuleState[]> {
    const response = await fetch(`${this.url}/api/v1/rules`, { signal: AbortSignal.timeout(15_000) });
    const answer = (await response.json()) as { data: { groups: Array<{ rules: RuleState[] }> } };
    return answer.data.groups.flatMap((group) => group.rules);
  }

  async alerts(): Promise<AlertState[]> {
    const response = await fetch(`${this.url}/api/v1/alerts`, { signal: AbortSignal.timeout(15_000) });
    const answer = (await response.json()) as { data: { alerts: AlertState[] } };
    return answer.data.alerts;
  }

  async targets(): Promise<Array<{ labels: Record<string, string>; health: string; lastError: string }>> {
    const response = await fetch(`${this.url}/api/v1/targets?state=active`, { signal: AbortSignal.timeout(15_000) });
    const answer = (await response.json()) as { data: { activeTargets: Array<{ labels: Record<string, string>; health: string; lastError: string }> } };
    return answer.data.activeTargets;
  }
}

export interface PrometheusServer {
  client: PrometheusClient;
  process: RunningProcess;
  scrapeIntervalSeconds: number;
  stop(): Promise<void>;
}

/** A throw-away Prometheus on a free port: its own config and storage in a temp folder, removed on stop. */
export async function startPrometheus(options: {
  binary: string;
  targets: ScrapeTarget[];
  ruleFiles?: string[];
  scrapeIntervalSeconds?: number;
}): Promise<PrometheusServer> {
  const interval = options.scrapeIntervalSeconds ?? 1;
  const dir = mkdtempSync(join(tmpdir(), 'arch-prometheus-'));
  const config = {
    global: { scrape_interval: `${interval}s`, scrape_timeout: `${Math.round(interval * 800)}ms`, evaluation_interval: `${interval}s` },
    rule_files: options.ruleFiles ?? [],
    scrape_configs: options.targets.map((target) => ({
      job_name: target.job,
      static_configs: [{ targets: [target.address], labels: target.labels }],
    })),
  };
  writeFileSync(join(dir, 'prometheus.yml'), stringify(config));
  const port = await freePort();
  const running = startProcess('prometheus', options.binary, [
    `--config.file=${join(dir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--storage.tsdb.retention.time=1h',
    '--log.level=warn',
  ]);
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    await running.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitForHttp(running, `${url}/-/ready`);
  } catch (err) {
    await stop();
    throw err;
  }
  return { client: new PrometheusClient(url), process: running, scrapeIntervalSeconds: interval, stop };
}
