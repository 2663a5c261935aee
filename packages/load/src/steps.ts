// The scenario stepped up (more users each step) until it degrades: p95 over a threshold or any
// error. compare-cache does it with the cache on and off, volume at each catalogue size.
import { measureCpu, type CpuUse } from './cpu.ts';
import { runScenario, type ScenarioCounters } from './scenario.ts';
import type { IntervalSample, Quantiles } from './stats.ts';

export interface StepResult extends Quantiles {
  users: number;
  rps: number;
  requests: number;
  errors: number;
  cpu: CpuUse;
  counters: ScenarioCounters;
  /** Seconds since the start of the stepped run, per interval, with the users of this step. */
  timeline: IntervalSample[];
  /** p95 over the threshold or an error: this step is the degradation point. */
  degraded: boolean;
}

export interface SteppedRun {
  label: string;
  steps: StepResult[];
  /** The last step that held (p95 within the threshold, no errors): the most it takes. */
  maximum?: StepResult;
  /** The first step that did not. */
  degradation?: StepResult;
}

export interface SteppedOptions {
  label: string;
  baseUrl: string;
  host?: string;
  servicePid: number;
  /** The service's database: its Postgres backends' CPU is measured. */
  database: string;
  /** Users per step, e.g. 1,2,4,8,16,32. */
  users: number[];
  stepSeconds: number;
  p95ThresholdMs: number;
  userRate: number;
  words?: string[];
  intervalSeconds: number;
  print: (line: string) => void;
}

export async function runSteps(options: SteppedOptions): Promise<SteppedRun> {
  const steps: StepResult[] = [];
  let offset = 0;
  for (const users of options.users) {
    const cpu = measureCpu(options.servicePid, options.database);
    const result = await runScenario({
      baseUrl: options.baseUrl,
      ...(options.host ? { host: options.host } : {}),
      users,
      // every user within the first two seconds of the step
      rampPerSecond: Math.max(users / 2, 1),
      durationSeconds: options.stepSeconds,
      userRate: options.userRate,
      cycles: [1, 20],
      intervalSeconds: options.intervalSeconds,
      ...(options.words ? { words: options.words } : {}),
    });
    const { summary } = result;
    const degraded = summary.latency.p95 > options.p95ThresholdMs || summary.errors > 0;
    const step: StepResult = {
      users,
      rps: summary.rps,
      requests: summary.requests,
      errors: summary.errors,
      ...summary.latency,
      cpu: cpu(),
      counters: result.counters,
      timeline: result.timeline.map((sample) => ({ ...sample, t: Math.round((sample.t + offset) * 10) / 10 })),
      degraded,
    };
    offset += summary.durationSeconds;
    steps.push(step);
    options.print(
      `${options.label}: ${String(users).padStart(3)} users  ${step.rps.toFixed(0).padStart(6)} req/s  p50 ${step.p50.toFixed(1)}  p95 ${step.p95.toFixed(1)}  p99 ${step.p99.toFixed(1)} ms  errors ${step.errors}` +
        `  cpu: service ${step.cpu.service}, postgres ${step.cpu.postgres}, redis ${step.cpu.redis}, load ${step.cpu.loadGenerator}, machine ${step.cpu.machine}/${step.cpu.cores}${degraded ? '  <- degraded' : ''}`,
    );
    if (degraded) break;
  }
  const degradation = steps.find((step) => step.degraded);
  const maximum = steps.filter((step) => !step.degraded).at(-1);
  return { label: options.label, steps, ...(maximum ? { maximum } : {}), ...(degradation ? { degradation } : {}) };
}
