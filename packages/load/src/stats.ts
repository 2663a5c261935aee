// What every load run records: latency histograms (HDR, bounded memory however long the run) per
// endpoint, overall and per interval, and the JSON summary the commands write.
import { build, type Histogram } from 'hdr-histogram-js';

/** Latency quantiles in milliseconds. */
export interface Quantiles {
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export interface EndpointSummary extends Quantiles {
  count: number;
  errors: number;
}

/** The summary every command writes (--out): the shape, plus what the run was. */
export interface Summary {
  rps: number;
  requests: number;
  errors: number;
  latency: Quantiles;
  byEndpoint: Record<string, EndpointSummary>;
  durationSeconds: number;
  /** Why requests failed: `status 503`, `unexpected status 404`, `connection`, `timeout`. */
  errorKinds: Record<string, number>;
  startedAt: string;
}

/** One interval of a run, for the lines printed while it runs and the charts over time. */
export interface IntervalSample extends Quantiles {
  /** Seconds since the start of the run, at the end of the interval. */
  t: number;
  rps: number;
  requests: number;
  errors: number;
  /** Users running at the end of the interval (scenarios). */
  users?: number;
}

// microseconds, up to two minutes, 3 significant digits (about 200 KB a histogram at most)
const newHistogram = (): Histogram => build({ lowestDiscernibleValue: 1, highestTrackableValue: 120_000_000, numberOfSignificantValueDigits: 3 });
const ms = (micros: number) => Math.round(micros / 10) / 100;
const MAX_SAMPLES = 10_000;

export function quantilesOf(histogram: Histogram): Quantiles {
  if (histogram.totalCount === 0) return { p50: 0, p95: 0, p99: 0, max: 0 };
  // a quantile is the top of its HDR bucket, which can be above the exact maximum
  const max = histogram.maxValue;
  const at = (percentile: number) => ms(Math.min(histogram.getValueAtPercentile(percentile), max));
  return { p50: at(50), p95: at(95), p99: at(99), max: ms(max) };
}

interface EndpointStats {
  histogram: Histogram;
  count: number;
  errors: number;
}

export class Recorder {
  readonly startedAt = new Date();
  private readonly started = performance.now();
  private readonly overall = newHistogram();
  private readonly endpoints = new Map<string, EndpointStats>();
  private readonly kinds = new Map<string, number>();
  private interval = newHistogram();
  private intervalStarted = performance.now();
  private intervalRequests = 0;
  private intervalErrors = 0;
  private total = 0;
  private failed = 0;
  private stoppedAt: number | undefined;
  readonly timeline: IntervalSample[] = [];

  private endpoint(name: string): EndpointStats {
    let stats = this.endpoints.get(name);
    if (!stats) {
      stats = { histogram: newHistogram(), count: 0, errors: 0 };
      this.endpoints.set(name, stats);
    }
    return stats;
  }

  /** A response came back; `error` names why it counts as one (undefined: it does not). */
  response(endpoint: string, latencyMs: number, error?: string): void {
    const micros = Math.max(1, Math.min(120_000_000, Math.round(latencyMs * 1000)));
    const stats = this.endpoint(endpoint);
    stats.count += 1;
    stats.histogram.recordValue(micros);
    this.overall.recordValue(micros);
    this.interval.recordValue(micros);
    this.total += 1;
    this.intervalRequests += 1;
    if (error) this.countError(stats, error);
  }

  /** A request got no response (connection refused or reset, timeout). */
  failure(endpoint: string, kind: 'connection' | 'timeout'): void {
    const stats = this.endpoint(endpoint);
    stats.count += 1;
    this.total += 1;
    this.intervalRequests += 1;
    this.countError(stats, kind);
  }

  private countError(stats: EndpointStats, kind: string): void {
    stats.errors += 1;
    this.failed += 1;
    this.intervalErrors += 1;
    this.kinds.set(kind, (this.kinds.get(kind) ?? 0) + 1);
  }

  get requests(): number {
    return this.total;
  }

  get errors(): number {
    return this.failed;
  }

  /** Closes the current interval, keeps it on the timeline and returns it. */
  sample(users?: number): IntervalSample {
    const now = performance.now();
    const seconds = Math.max((now - this.intervalStarted) / 1000, 1e-3);
    const sample: IntervalSample = {
      t: Math.round((now - this.started) / 100) / 10,
      rps: Math.round((this.intervalRequests / seconds) * 10) / 10,
      requests: this.intervalRequests,
      errors: this.intervalErrors,
      ...quantilesOf(this.interval),
      ...(users === undefined ? {} : { users }),
    };
    this.timeline.push(sample);
    // a run without end keeps its last day or so of 10-s intervals
    if (this.timeline.length > MAX_SAMPLES) this.timeline.splice(0, this.timeline.length - MAX_SAMPLES);
    this.interval.reset();
    this.intervalStarted = now;
    this.intervalRequests = 0;
    this.intervalErrors = 0;
    return sample;
  }

  /** Marks the end of the run: the summary's rate is over the time up to here. */
  stop(): void {
    this.stoppedAt ??= performance.now();
  }

  summary(): Summary {
    const seconds = Math.max(((this.stoppedAt ?? performance.now()) - this.started) / 1000, 1e-3);
    const byEndpoint = Object.fromEntries(
      [...this.endpoints.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([name, stats]) => [name, { count: stats.count, errors: stats.errors, ...quantilesOf(stats.histogram) }]),
    );
    return {
      rps: Math.round((this.total / seconds) * 100) / 100,
      requests: this.total,
      errors: this.failed,
      latency: quantilesOf(this.overall),
      byEndpoint,
      durationSeconds: Math.round(seconds * 10) / 10,
      errorKinds: Object.fromEntries(this.kinds),
      startedAt: this.startedAt.toISOString(),
    };
  }
}

export function formatSample(sample: IntervalSample): string {
  const users = sample.users === undefined ? '' : `  users ${String(sample.users).padStart(4)}`;
  return (
    `${sample.t.toFixed(0).padStart(6)}s  ${sample.rps.toFixed(1).padStart(7)} req/s  errors ${String(sample.errors).padStart(4)}` +
    `  p50 ${sample.p50.toFixed(1).padStart(7)}  p95 ${sample.p95.toFixed(1).padStart(7)}  p99 ${sample.p99.toFixed(1).padStart(7)}  max ${sample.max.toFixed(1).padStart(7)} ms${users}`
  );
}
