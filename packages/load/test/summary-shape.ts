// The summary JSON every command writes: {rps, requests, errors, latency: {p50, p95, p99, max},
// byEndpoint: {"METHOD /route": {count, errors, p50, p95, p99, max}}}, asserted field by field.
import type { Test } from 'tap';

const isCount = (value: unknown) => typeof value === 'number' && Number.isInteger(value) && value >= 0;
const isMs = (value: unknown) => typeof value === 'number' && Number.isFinite(value) && value >= 0;

export function assertSummaryShape(t: Test, summary: unknown): void {
  t.type(summary, 'object', 'the summary is an object');
  const s = summary as Record<string, unknown>;
  t.ok(isMs(s.rps), 'rps is a number');
  t.ok(isCount(s.requests), 'requests is a count');
  t.ok(isCount(s.errors), 'errors is a count');
  const latency = s.latency as Record<string, unknown> | undefined;
  t.same(Object.keys(latency ?? {}).sort(), ['max', 'p50', 'p95', 'p99'], 'latency has p50, p95, p99, max');
  for (const key of ['p50', 'p95', 'p99', 'max']) t.ok(isMs(latency?.[key]), `latency.${key} is milliseconds`);
  t.ok((latency?.p50 as number) <= (latency?.p95 as number) && (latency?.p95 as number) <= (latency?.p99 as number) && (latency?.p99 as number) <= (latency?.max as number), 'quantiles are ordered');
  const byEndpoint = s.byEndpoint as Record<string, Record<string, unknown>> | undefined;
  t.type(byEndpoint, 'object', 'byEndpoint is an object');
  let requests = 0;
  let errors = 0;
  for (const [name, stats] of Object.entries(byEndpoint ?? {})) {
    t.match(name, /^(GET|POST|PUT|DELETE) \/\S*$/, `${name} is "METHOD /route"`);
    t.same(Object.keys(stats).sort(), ['count', 'errors', 'max', 'p50', 'p95', 'p99'], `${name} has count, errors, p50, p95, p99, max`);
    t.ok(isCount(stats.count) && isCount(stats.errors) && (stats.errors as number) <= (stats.count as number), `${name}: counts`);
    for (const key of ['p50', 'p95', 'p99', 'max']) t.ok(isMs(stats[key]), `${name}.${key} is milliseconds`);
    requests += stats.count as number;
    errors += stats.errors as number;
  }
  t.equal(requests, s.requests, 'the endpoints add up to the requests');
  t.equal(errors, s.errors, 'the endpoints add up to the errors');
}
