#!/usr/bin/env node
// pnpm loadtest <command> [flags]: the load, stress and volume tools. `pnpm loadtest help` lists them.
import { number, optionalText, parseFlags, text, url, UsageError } from './args.ts';
import { formatSample, type Summary } from './stats.ts';
import { printSummary, stopSignal, writeJson } from './output.ts';
import { runStress } from './stress.ts';
import { scenarioCommand, compareCacheCommand, volumeCommand, reportCommand } from './commands.ts';

export const usage = `usage: pnpm loadtest <command> [flags]

  stress         constant arrival rate over every public API method of app, auth and product
    --base-url URL     where to send requests (default http://127.0.0.1:8080, the local gateway;
                       env LOAD_BASE_URL)
    --host HOST        Host header, e.g. arch.homework through the ingress controller (env LOAD_HOST)
    --rps N            requests per second, 5-20 (default 10; env LOAD_RPS)
    --duration S       seconds; 0 runs until stopped (default 60; env LOAD_DURATION)
    --interval S       seconds between printed lines (default 5)
    --connections N    most clients with a request in flight (default 3 × rps, at least 10)
    --timeout S        seconds before a request counts as timed out (default 10)
    --out FILE         JSON summary, rewritten every interval and at the end

  scenario products  the search scenario: users search, refine, open a product
  compare-cache      the scenario stepped up with CACHE_ENABLED on and off, to the degradation point
  volume             the stepped scenario at 10k, 100k and 1M products
  report             Markdown and HTML (charts) from the JSON of the runs above

  pnpm loadtest <command> --help shows a command's flags.`;

const stressFlags = {
  'base-url': { type: 'string' },
  host: { type: 'string' },
  rps: { type: 'string' },
  duration: { type: 'string' },
  interval: { type: 'string' },
  connections: { type: 'string' },
  timeout: { type: 'string' },
  out: { type: 'string' },
  help: { type: 'boolean' },
} as const;

async function stressCommand(args: string[]): Promise<void> {
  const flags = parseFlags(args, stressFlags);
  if (flags.help) {
    process.stdout.write(`${usage.split('\n\n')[1]}\n`);
    return;
  }
  const env = process.env;
  const baseUrl = url(flags['base-url'] ?? env.LOAD_BASE_URL, 'base-url', 'http://127.0.0.1:8080');
  const host = optionalText(flags.host ?? (env.LOAD_HOST || undefined), 'host');
  const rps = number(flags.rps ?? env.LOAD_RPS, 'rps', 10, { min: 5, max: 20, integer: true });
  const durationSeconds = number(flags.duration ?? env.LOAD_DURATION, 'duration', 60, { min: 0, integer: true });
  const intervalSeconds = number(flags.interval, 'interval', 5, { min: 1 });
  const connections = flags.connections === undefined ? undefined : number(flags.connections, 'connections', 10, { min: 1, max: 1000, integer: true });
  const timeoutSeconds = number(flags.timeout, 'timeout', 10, { min: 1 });
  const out = flags.out === undefined ? undefined : text(flags.out, 'out');

  const where = `${baseUrl}${host ? ` (Host: ${host})` : ''}`;
  process.stdout.write(`stress: ${rps} req/s against ${where} for ${durationSeconds === 0 ? 'ever (Ctrl-C or SIGTERM stops)' : `${durationSeconds} s`}\n`);
  const summary: Summary = await runStress({
    baseUrl,
    ...(host ? { host } : {}),
    rps,
    durationSeconds,
    intervalSeconds,
    ...(connections ? { connections } : {}),
    timeoutSeconds,
    stopSignal: stopSignal(),
    onInterval: (sample, recorder) => {
      process.stdout.write(`${formatSample(sample)}\n`);
      if (out) writeJson(out, recorder.summary());
    },
  });
  if (out) writeJson(out, summary);
  process.stdout.write(printSummary(summary));
}

const commands: Record<string, (args: string[]) => Promise<void>> = {
  stress: stressCommand,
  scenario: scenarioCommand,
  'compare-cache': compareCacheCommand,
  volume: volumeCommand,
  report: reportCommand,
};

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(`${usage}\n`);
    return command ? 0 : 2;
  }
  const run = commands[command];
  try {
    if (!run) throw new UsageError(`unknown command ${JSON.stringify(command)}`);
    await run(rest);
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`loadtest ${command}: ${err.message}\n\n${usage}\n`);
      return 2;
    }
    process.stderr.write(`loadtest ${command}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return 1;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exitCode = await main(process.argv.slice(2));
  // autocannon and the report may leave timers behind; the summary is written by now
  process.exit();
}
