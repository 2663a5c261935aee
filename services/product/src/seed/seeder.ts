import { sql, type Kysely } from 'kysely';
import type { ProductDatabase } from '../products/products.table.ts';
import { generateProduct } from './generate.ts';

export interface SeedProgress {
  /** Seed numbers handled so far (inserted or found already there). */
  done: number;
  total: number;
  inserted: number;
  elapsedMs: number;
}

export interface SeedOptions {
  /** Products numbered 1…count exist afterwards; the ones already there are left alone. */
  count: number;
  batchSize?: number;
  /** Batches written at once (each on its own connection); PGlite runs them one by one anyway. */
  concurrency?: number;
  onProgress?: (progress: SeedProgress) => void;
}

export interface SeedResult {
  inserted: number;
  existing: number;
  elapsedMs: number;
}

/**
 * Seeds products 1…count in batches, set-based (one INSERT … SELECT FROM unnest(arrays) per batch),
 * and is idempotent: every row carries its seed number, a batch that is complete is skipped and the
 * rest conflict on the unique seed number instead of duplicating. Statistics are refreshed at the
 * end so the planner knows how common each word is (VACUUM cannot run inside a transaction: call
 * this with a database, not a transaction).
 */
export async function seedProducts(db: Kysely<ProductDatabase>, options: SeedOptions): Promise<SeedResult> {
  const started = Date.now();
  const total = options.count;
  const batchSize = options.batchSize ?? 10_000;
  const ranges: Array<[number, number]> = [];
  for (let from = 1; from <= total; from += batchSize) ranges.push([from, Math.min(total, from + batchSize - 1)]);

  let done = 0;
  let inserted = 0;
  const report = () => options.onProgress?.({ done, total, inserted, elapsedMs: Date.now() - started });
  const seedRange = async ([from, to]: [number, number]) => {
    const present = await db
      .selectFrom('products')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('seed_no', '>=', from)
      .where('seed_no', '<=', to)
      .executeTakeFirstOrThrow();
    if (Number(present.n) < to - from + 1) {
      const added = await insertRange(db, from, to);
      inserted += added;
    }
    done += to - from + 1;
    report();
  };

  report();
  const queue = [...ranges];
  const workers = Array.from({ length: Math.max(1, options.concurrency ?? 1) }, async () => {
    for (let range = queue.shift(); range; range = queue.shift()) await seedRange(range);
  });
  await Promise.all(workers);
  // Sets hint bits and the visibility map once, here, rather than in the first searches' reads.
  if (inserted > 0) await sql`vacuum analyze products`.execute(db);
  return { inserted, existing: total - inserted, elapsedMs: Date.now() - started };
}

async function insertRange(db: Kysely<ProductDatabase>, from: number, to: number): Promise<number> {
  const seedNos: number[] = [];
  const names: string[] = [];
  const descriptions: string[] = [];
  const categories: string[] = [];
  const prices: string[] = [];
  const ages: number[] = [];
  for (let seedNo = from; seedNo <= to; seedNo++) {
    const product = generateProduct(seedNo);
    seedNos.push(seedNo);
    names.push(product.name);
    descriptions.push(product.description);
    categories.push(product.category);
    prices.push(product.price);
    ages.push(product.ageSeconds);
  }
  const result = await sql`
    insert into products (seed_no, name, description, category, price, created_at, updated_at)
    select s, n, d, c, p::numeric(12, 2), now() - make_interval(secs => a), now() - make_interval(secs => a)
    from unnest(${seedNos}::int[], ${names}::text[], ${descriptions}::text[], ${categories}::text[], ${prices}::text[], ${ages}::int[])
      as t(s, n, d, c, p, a)
    on conflict (seed_no) do nothing`.execute(db);
  return Number(result.numAffectedRows ?? 0n);
}

/** Progress for people: one line redrawn in place on a terminal, a line per tenth otherwise (logs). */
export function progressPrinter(stream: NodeJS.WriteStream, label = 'seed'): (progress: SeedProgress) => void {
  let lastTenth = -1;
  let lastDraw = 0;
  return ({ done, total, inserted, elapsedMs }) => {
    const percent = total === 0 ? 100 : Math.floor((done / total) * 100);
    const rate = elapsedMs > 0 ? Math.round((inserted / elapsedMs) * 1000) : 0;
    const remaining = rate > 0 && done < total ? ` eta ${Math.ceil((total - done) / Math.max(rate, 1))} s` : '';
    const text = `[${label}] ${done.toLocaleString('en')}/${total.toLocaleString('en')} (${percent}%), inserted ${inserted.toLocaleString('en')}, ${rate.toLocaleString('en')} rows/s${remaining}`;
    if (stream.isTTY) {
      const now = Date.now();
      if (done < total && now - lastDraw < 100) return;
      lastDraw = now;
      stream.write(`\r${text}\u001b[K${done >= total ? '\n' : ''}`);
    } else if (Math.floor(percent / 10) !== lastTenth) {
      lastTenth = Math.floor(percent / 10);
      stream.write(`${text}\n`);
    }
  };
}
