// The seed command (a Helm Job after the migrations): `seed [--count N] [--batch-size N] [--concurrency N]`.
// Applies pending migrations first, then makes products 1…N exist; a re-run adds only what is missing.
import { parseArgs } from 'node:util';
import type { Kysely } from 'kysely';
import { ConfigError, forJobs, loadConfig, migrateToLatest, openDatabase } from '@arch/kit';
import { productConfigSchema } from './config.ts';
import { migrations } from './migrations/index.ts';
import type { ProductDatabase } from './products/products.table.ts';
import { progressPrinter, seedProducts } from './seed/seeder.ts';

const log = (line: string) => process.stdout.write(`[product seed] ${line}\n`);

function positive(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value.replace(/_/g, ''));
  if (!Number.isSafeInteger(parsed) || parsed < 1) throw new Error(`--${name} must be a positive integer (got ${JSON.stringify(value)})`);
  return parsed;
}

try {
  const { values } = parseArgs({
    options: { count: { type: 'string' }, 'batch-size': { type: 'string' }, concurrency: { type: 'string' } },
    strict: true,
  });
  const count = positive('count', values.count ?? process.env.SEED_COUNT, 100_000);
  // A batch or the final VACUUM ANALYZE of a million rows takes longer than a request may: the
  // service's DB_QUERY_TIMEOUT_MS (the seed Job gets the service's whole config) is not the seeder's.
  const config = forJobs(loadConfig(productConfigSchema));
  const database = await openDatabase<ProductDatabase>({ config });
  try {
    await migrateToLatest(database.db as Kysely<unknown>, migrations);
    const concurrency = positive('concurrency', values.concurrency, database.kind === 'postgres' ? 2 : 1);
    log(`seeding ${count.toLocaleString('en')} products into ${database.location}`);
    const result = await seedProducts(database.db, {
      count,
      batchSize: positive('batch-size', values['batch-size'], 10_000),
      concurrency,
      onProgress: progressPrinter(process.stdout, 'product seed'),
    });
    log(`done in ${(result.elapsedMs / 1000).toFixed(1)} s: ${result.inserted.toLocaleString('en')} inserted, ${result.existing.toLocaleString('en')} were there already`);
  } finally {
    await database.close();
  }
  process.exit(0);
} catch (err) {
  process.stderr.write(`[product seed] FAILED: ${err instanceof ConfigError || err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
