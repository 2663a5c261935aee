// The scenario commands of `pnpm loadtest`: scenario products, compare-cache, volume, report.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { integers, number, optionalText, parseFlags, text, url, UsageError } from './args.ts';
import { discoverWords } from './http.ts';
import { html, markdown, thisMachine, type Run } from './report.ts';
import { runScenario } from './scenario.ts';
import { formatSample } from './stats.ts';
import { printSummary, stopSignal } from './output.ts';
import { runSteps, type SteppedRun } from './steps.ts';
import { seedProducts, startProductService } from './target.ts';

const print = (line: string) => process.stdout.write(`${line}\n`);

/** Writes <dir>/<name>.json, .md and .html. */
export function writeRun(dir: string, name: string, run: Run): string[] {
  mkdirSync(dir, { recursive: true });
  const files = [join(dir, `${name}.json`), join(dir, `${name}.md`), join(dir, `${name}.html`)];
  writeFileSync(files[0]!, `${JSON.stringify(run, null, 2)}\n`);
  writeFileSync(files[1]!, markdown([run], `Load report: ${name}`));
  writeFileSync(files[2]!, html([run], `Load report: ${name}`));
  return files;
}

const help = (flags: Record<string, string>) =>
  Object.entries(flags)
    .map(([flag, meaning]) => `  --${flag.padEnd(24)} ${meaning}`)
    .join('\n');

const scenarioHelp = {
  'base-url URL': 'where to send requests (default http://127.0.0.1:8080)',
  'host HOST': 'Host header (e.g. arch.homework)',
  'users N': 'users at full strength (default 20)',
  'ramp N': 'users started per second (default 2)',
  'duration S': 'seconds (default 60)',
  'user-rate N': 'requests per second of each user; 0: no pause (default 0)',
  'interval S': 'seconds between printed lines and chart points (default 5)',
  'out-dir DIR': 'where scenario.json, .md and .html go (default reports)',
};

export async function scenarioCommand(args: string[]): Promise<void> {
  const [name, ...rest] = args;
  if (name === '--help') return void print(`usage: pnpm loadtest scenario products [flags]\n${help(scenarioHelp)}`);
  if (name !== 'products') throw new UsageError(`scenario ${name === undefined ? '(none)' : JSON.stringify(name)}: the one scenario is "products"`);
  const flags = parseFlags(rest, {
    'base-url': { type: 'string' },
    host: { type: 'string' },
    users: { type: 'string' },
    ramp: { type: 'string' },
    duration: { type: 'string' },
    'user-rate': { type: 'string' },
    interval: { type: 'string' },
    'out-dir': { type: 'string' },
  });
  const baseUrl = url(flags['base-url'], 'base-url', 'http://127.0.0.1:8080');
  const host = optionalText(flags.host, 'host');
  const settings = {
    baseUrl,
    ...(host ? { host } : {}),
    users: number(flags.users, 'users', 20, { min: 1, max: 2000, integer: true }),
    rampPerSecond: number(flags.ramp, 'ramp', 2, { min: 0.1, max: 1000 }),
    durationSeconds: number(flags.duration, 'duration', 60, { min: 1, integer: true }),
    userRate: number(flags['user-rate'], 'user-rate', 0, { min: 0, max: 1000, integer: true }),
    cycles: [1, 20] as [number, number],
    intervalSeconds: number(flags.interval, 'interval', 5, { min: 1 }),
  };
  const outDir = text(flags['out-dir'], 'out-dir', 'reports');
  print(`scenario products: ${settings.users} users (+${settings.rampPerSecond}/s) against ${baseUrl}${host ? ` (Host: ${host})` : ''} for ${settings.durationSeconds} s`);
  const result = await runScenario({ ...settings, stopSignal: stopSignal(), onInterval: (sample) => print(formatSample(sample)) });
  const files = writeRun(outDir, 'scenario', { kind: 'scenario', createdAt: new Date().toISOString(), machine: thisMachine(), settings, result });
  print(printSummary(result.summary));
  print(`wrote ${files.join(', ')}`);
}

const steppedFlags = {
  'redis-url': { type: 'string' },
  steps: { type: 'string' },
  'step-duration': { type: 'string' },
  p95: { type: 'string' },
  'user-rate': { type: 'string' },
  interval: { type: 'string' },
  'warm-up': { type: 'string' },
  'out-dir': { type: 'string' },
} as const;

const steppedHelp = {
  'redis-url URL': 'Redis for the cache (default $REDIS_URL; none: the in-process cache)',
  'steps N,N,…': 'concurrent users per step (default 1,2,4,8,16,32,64)',
  'step-duration S': 'seconds per step (default 15)',
  'p95 MS': 'a step whose p95 is over this (or has errors) is the degradation point (default 50)',
  'user-rate N': 'requests per second of each user; 0: no pause (default 0)',
  'interval S': 'seconds between chart points (default 5)',
  'warm-up S': 'seconds of the scenario (4 users) before the steps, not measured: caches fill (default 0)',
  'out-dir DIR': 'where the .json, .md and .html go (default reports)',
};

function steppedSettings(flags: Record<keyof typeof steppedFlags, string | boolean | undefined>) {
  const redisUrl = flags['redis-url'] === undefined ? process.env.REDIS_URL || undefined : url(flags['redis-url'], 'redis-url');
  return {
    ...(redisUrl ? { redisUrl } : {}),
    users: integers(flags.steps, 'steps', [1, 2, 4, 8, 16, 32, 64]),
    stepSeconds: number(flags['step-duration'], 'step-duration', 15, { min: 3, integer: true }),
    p95ThresholdMs: number(flags.p95, 'p95', 50, { min: 1 }),
    userRate: number(flags['user-rate'], 'user-rate', 0, { min: 0, max: 1000, integer: true }),
    intervalSeconds: number(flags.interval, 'interval', 5, { min: 1 }),
    warmUpSeconds: number(flags['warm-up'], 'warm-up', 0, { min: 0, integer: true }),
    outDir: text(flags['out-dir'], 'out-dir', 'reports'),
  };
}

/** Starts the product service with `env`, runs the steps against it, stops it. */
async function steppedAgainstService(label: string, env: Record<string, string>, settings: ReturnType<typeof steppedSettings>): Promise<SteppedRun> {
  const service = await startProductService(env);
  try {
    const { words } = await discoverWords({ baseUrl: service.url });
    if (settings.warmUpSeconds > 0) {
      print(`${label}: warming up for ${settings.warmUpSeconds} s`);
      await runScenario({ baseUrl: service.url, users: 4, rampPerSecond: 4, durationSeconds: settings.warmUpSeconds, userRate: 0, cycles: [1, 20], intervalSeconds: settings.warmUpSeconds, words });
    }
    const database = new URL(env.DATABASE_URL ?? 'postgres://localhost/postgres').pathname.slice(1);
    return await runSteps({ label, baseUrl: service.url, servicePid: service.pid, database, words, ...settings, print });
  } finally {
    await service.stop();
  }
}

const cacheKeyPrefix = () => `load:${process.pid}:${Date.now()}:`;

export async function compareCacheCommand(args: string[]): Promise<void> {
  if (args[0] === '--help') {
    return void print(
      `usage: pnpm loadtest compare-cache [flags]\nStarts the product service twice (CACHE_ENABLED=1, then 0) on the given database and steps the scenario up against each.\n${help({ 'database-url URL': 'the catalogue (default postgres://postgres@127.0.0.1:5432/arch_load_product)', 'count N': 'seed it to N products first, idempotent; 0: as it is (default 100000)', ...steppedHelp })}`,
    );
  }
  const flags = parseFlags(args, { ...steppedFlags, 'database-url': { type: 'string' }, count: { type: 'string' } });
  const databaseUrl = url(flags['database-url'], 'database-url', 'postgres://postgres@127.0.0.1:5432/arch_load_product');
  const count = number(flags.count, 'count', 100_000, { min: 0, max: 10_000_000, integer: true });
  const settings = steppedSettings(flags);
  if (count > 0) await seedProducts(databaseUrl, count, print);
  const base = { DATABASE_URL: databaseUrl, CACHE_KEY_PREFIX: cacheKeyPrefix(), ...(settings.redisUrl ? { REDIS_URL: settings.redisUrl } : {}) };
  const runs = [
    await steppedAgainstService(`cache on${settings.redisUrl ? ' (Redis)' : ' (in-process)'}`, { ...base, CACHE_ENABLED: '1' }, settings),
    await steppedAgainstService('cache off', { ...base, CACHE_ENABLED: '0' }, settings),
  ];
  const { outDir, redisUrl, ...shown } = settings;
  const run: Run = { kind: 'compare-cache', createdAt: new Date().toISOString(), machine: thisMachine(), settings: { database: new URL(databaseUrl).pathname.slice(1), count, redis: redisUrl ? 'yes' : 'in-process', ...shown }, runs };
  print(`wrote ${writeRun(outDir, 'compare-cache', run).join(', ')}`);
}

export async function volumeCommand(args: string[]): Promise<void> {
  if (args[0] === '--help') {
    return void print(
      `usage: pnpm loadtest volume [flags]\nSeeds (idempotent) and starts the product service on one database per catalogue size and steps the scenario up against each.\n${help({
        'counts N,N,…': 'catalogue sizes (default 10000,100000,1000000)',
        'database-url URL': 'the Postgres server (default postgres://postgres@127.0.0.1:5432/postgres)',
        'database COUNT=NAME': 'the database of one size (default arch_load_product_<count>); repeatable',
        'cache on|off': 'CACHE_ENABLED during the runs (default off: the database does the work)',
        ...steppedHelp,
      })}`,
    );
  }
  const flags = parseFlags(args, { ...steppedFlags, counts: { type: 'string' }, 'database-url': { type: 'string' }, database: { type: 'string', multiple: true }, cache: { type: 'string' } });
  const counts = integers(flags.counts, 'counts', [10_000, 100_000, 1_000_000]);
  const server = url(flags['database-url'], 'database-url', 'postgres://postgres@127.0.0.1:5432/postgres');
  const named = new Map<number, string>();
  const given = (flags as unknown as { database?: string[] }).database ?? [];
  for (const entry of given) {
    const match = /^(\d+)=([a-z_][a-z0-9_]{0,62})$/.exec(entry);
    if (!match) throw new UsageError(`--database must be COUNT=NAME, e.g. 1000000=arch_bench_product (got ${JSON.stringify(entry)})`);
    named.set(Number(match[1]), match[2]!);
  }
  const cache = text(flags.cache, 'cache', 'off');
  if (cache !== 'on' && cache !== 'off') throw new UsageError(`--cache must be on or off (got ${JSON.stringify(cache)})`);
  const settings = steppedSettings(flags);
  const runs: SteppedRun[] = [];
  const databases: Record<string, string> = {};
  for (const count of counts) {
    const database = new URL(server);
    database.pathname = `/${named.get(count) ?? `arch_load_product_${count}`}`;
    databases[count] = database.pathname.slice(1);
    print(`volume: ${count} products in ${databases[count]}`);
    await seedProducts(database.toString(), count, print);
    const env = { DATABASE_URL: database.toString(), CACHE_ENABLED: cache === 'on' ? '1' : '0', CACHE_KEY_PREFIX: cacheKeyPrefix(), ...(settings.redisUrl ? { REDIS_URL: settings.redisUrl } : {}) };
    runs.push(await steppedAgainstService(`${count >= 1_000_000 ? `${count / 1_000_000}M` : `${count / 1000}k`} products`, env, settings));
  }
  const { outDir, redisUrl, ...shown } = settings;
  const run: Run = { kind: 'volume', createdAt: new Date().toISOString(), machine: thisMachine(), settings: { databases, cache, ...(redisUrl ? { redis: 'yes' } : {}), ...shown }, runs };
  print(`wrote ${writeRun(outDir, 'volume', run).join(', ')}`);
}

export async function reportCommand(args: string[]): Promise<void> {
  if (args[0] === '--help') {
    return void print(
      `usage: pnpm loadtest report --in FILE [--in FILE…] --out PATH [--title T] [--prose FILE]\nOne Markdown (PATH.md) and one HTML page with charts (PATH.html) from the JSON the other commands wrote; --prose puts a Markdown file's text (conclusions) first.`,
    );
  }
  const flags = parseFlags(args, { in: { type: 'string', multiple: true }, out: { type: 'string' }, title: { type: 'string' }, prose: { type: 'string' } });
  const inputs = (flags as unknown as { in?: string[] }).in ?? [];
  if (inputs.length === 0) throw new UsageError('--in is required (a JSON file written by scenario, compare-cache or volume)');
  const out = text(flags.out, 'out');
  const title = text(flags.title, 'title', 'Load report');
  const prose = flags.prose === undefined ? '' : readFileSync(text(flags.prose, 'prose'), 'utf8');
  const runs = inputs.map((file) => {
    const run = JSON.parse(readFileSync(file, 'utf8')) as Run;
    if (!['scenario', 'compare-cache', 'volume'].includes(run.kind)) throw new UsageError(`${file} is not a run written by scenario, compare-cache or volume`);
    return run;
  });
  writeFileSync(`${out}.md`, markdown(runs, title, prose));
  writeFileSync(`${out}.html`, html(runs, title, prose));
  print(`wrote ${out}.md, ${out}.html`);
}
