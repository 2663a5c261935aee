import type { App } from './server.ts';

/** A counter as services use it; label values by name. */
export interface AppCounter<L extends string> {
  inc(labels: Record<L, string>, value?: number): void;
}

/**
 * A Prometheus counter in the app's registry (the one /metrics serves). The registry is per
 * process, so a second app in the same process (tests) gets the counter the first one made.
 */
export function appCounter<L extends string>(app: App, options: { name: string; help: string; labelNames: readonly L[] }): AppCounter<L> {
  const { client } = app.metrics;
  const existing = client.register.getSingleMetric(options.name);
  if (existing) return existing as unknown as AppCounter<L>;
  return new client.Counter({ name: options.name, help: options.help, labelNames: options.labelNames });
}
