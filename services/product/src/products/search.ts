import { createHash } from 'node:crypto';
import { sql, type Kysely, type RawBuilder } from 'kysely';
import { badRequest } from '@arch/kit';
import type { ProductDatabase, ProductRow } from './products.table.ts';

export const SORTS = ['relevance', 'price_asc', 'price_desc', 'newest'] as const;
export type Sort = (typeof SORTS)[number];

export const MAX_WORDS = 8;
/** Prefix matching starts at two letters: a one-letter prefix matches most of the catalogue. */
const MIN_PREFIX_LENGTH = 2;

/** A search as the caller asked for it (query string, validated by the route schema). */
export interface SearchQuery {
  q?: string;
  category?: string;
  minPrice?: string;
  maxPrice?: string;
  sort: Sort;
  limit: number;
  offset: number;
}

/** The same search in canonical form: equal searches are equal here, whatever their spelling. */
export interface NormalizedSearch {
  words: string[];
  category: string | null;
  minCents: number | null;
  maxCents: number | null;
  sort: Sort;
  limit: number;
  offset: number;
}

export interface SearchPage {
  items: ProductRow[];
  total: number;
  totalCapped: boolean;
}

/** Words of a query: lower case, ё as е, letters and digits only (everything else separates words). */
export function searchWords(q: string | undefined): string[] {
  return q?.toLowerCase().replaceAll('ё', 'е').match(/[\p{L}\p{N}]+/gu) ?? [];
}

/** Whole cents of a decimal string with up to two places ("12.5" → 1250); exact, no floats. */
export function toCents(price: string): number {
  const [whole = '0', fraction = ''] = price.split('.');
  return Number(whole) * 100 + Number(fraction.padEnd(2, '0'));
}

export function fromCents(cents: number): string {
  return `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;
}

export function normalizeSearch(query: SearchQuery): NormalizedSearch {
  const words = searchWords(query.q);
  if (query.q !== undefined && query.q.trim() !== '' && words.length === 0) {
    throw badRequest('querystring.q must contain a letter or a digit');
  }
  if (words.length > MAX_WORDS) throw badRequest(`querystring.q has ${words.length} words; at most ${MAX_WORDS} are allowed`);
  const minCents = query.minPrice === undefined ? null : toCents(query.minPrice);
  const maxCents = query.maxPrice === undefined ? null : toCents(query.maxPrice);
  if (minCents !== null && maxCents !== null && minCents > maxCents) {
    throw badRequest(`querystring.minPrice ${query.minPrice} is greater than querystring.maxPrice ${query.maxPrice}`);
  }
  return {
    words,
    category: query.category?.toLowerCase() ?? null,
    minCents,
    maxCents,
    sort: query.sort,
    limit: query.limit,
    offset: query.offset,
  };
}

/** A short, stable key for a normalized search: its canonical JSON, hashed. */
export function searchKey(search: NormalizedSearch): string {
  const canonical = JSON.stringify([search.words.join(' '), search.category, search.minCents, search.maxCents, search.sort, search.limit, search.offset]);
  return createHash('sha256').update(canonical).digest('base64url').slice(0, 32);
}

/**
 * The tsquery of a search: every word must match (stemmed, so «космоса» finds «космос» and
 * "phones" finds "phone"), and the last one may also be the beginning of a word of a name
 * (search as you type: "runni" finds "running", whose stem is "run"). The prefix is looked up in
 * the unstemmed `simple` lexemes only: a prefix of stems too doubles the index work of every query.
 * Words are passed as parameters; they hold only letters and digits, so nothing a caller types can
 * become tsquery syntax.
 */
function tsquery(words: string[]): RawBuilder<unknown> {
  const last = words.at(-1)!;
  const parts = words.slice(0, -1).map((word) => sql`plainto_tsquery('russian', ${word})`);
  if (last.length >= MIN_PREFIX_LENGTH) {
    parts.push(sql`(plainto_tsquery('russian', ${last}) || to_tsquery('simple', ${`${last}:*`}))`);
  } else {
    parts.push(sql`(plainto_tsquery('russian', ${last}) || plainto_tsquery('simple', ${last}))`);
  }
  return sql`(${sql.join(parts, sql` && `)})`;
}

const columns = sql`id, name, description, category, price, created_at, updated_at`;

const orderings: Record<Sort | 'relevance_without_words', RawBuilder<unknown>> = {
  relevance: sql`rank desc, id`,
  // without words there is nothing to rank: newest first
  relevance_without_words: sql`created_at desc, id desc`,
  price_asc: sql`price, id`,
  price_desc: sql`price desc, id desc`,
  newest: sql`created_at desc, id desc`,
};

/**
 * One page of a search, and how many match: exactly up to `cap`, otherwise `cap` with totalCapped.
 *
 * Counting or ranking every match of a common word reads tens of thousands of rows, which is what
 * breaks a p99 at a million products (docs/product.md, measured), so a search reads at most cap + 1 matches first
 * (one statement: the GIN index for rarer words, a scan that stops early for common ones). When
 * that is all of them, the page is sorted from those rows, whatever the order. When there are more:
 * relevance ranks those first cap + 1 matches (refine the query to see others), and price or date
 * order comes from the ordered index (read a bounded way), else from sorting every match.
 */
export async function searchProducts(db: Kysely<ProductDatabase>, search: NormalizedSearch, cap: number): Promise<SearchPage> {
  const filters: RawBuilder<unknown>[] = [];
  const hasWords = search.words.length > 0;
  const query = hasWords ? tsquery(search.words) : undefined;
  if (search.category !== null) filters.push(sql`category = ${search.category}`);
  if (search.minCents !== null) filters.push(sql`price >= ${fromCents(search.minCents)}::numeric`);
  if (search.maxCents !== null) filters.push(sql`price <= ${fromCents(search.maxCents)}::numeric`);
  const whereOf = (conditions: RawBuilder<unknown>[]) => (conditions.length > 0 ? sql`where ${sql.join(conditions, sql` and `)}` : sql``);
  const where = whereOf(query ? [sql`search @@ ${query}`, ...filters] : filters);
  const rank = query ? sql`ts_rank(search, ${query})` : sql`0::real`;
  const order = orderings[search.sort === 'relevance' && !hasWords ? 'relevance_without_words' : search.sort];

  const windowed = await sql<SearchRow & { total: number | string }>`
    with matches as materialized (
      select ${columns}, ${rank} as rank from products ${where} limit ${cap + 1}
    )
    select counted.total, page.*, page.price::text as price_text
    from (select count(*) as total from matches) counted
    left join lateral (select * from matches order by ${order} limit ${search.limit} offset ${search.offset}) page on true`.execute(db);
  const total = Number(windowed.rows[0]?.total ?? 0);
  const pageRows = windowed.rows.filter((row) => row.id !== null);
  if (total <= cap) return { items: pageRows.map(toProductRow), total, totalCapped: false };
  if (search.sort === 'relevance' && hasWords) return { items: pageRows.map(toProductRow), total: cap, totalCapped: true };

  if (!query) {
    // no words: the ordered indexes and the planner's statistics handle the filters
    const ordered = await sql<SearchRow>`
      select ${columns}, price::text as price_text from products ${where} order by ${order} limit ${search.limit} offset ${search.offset}`.execute(db);
    return { items: ordered.rows.map(toProductRow), total: cap, totalCapped: true };
  }
  // Words and an order: walk the ordered index a bounded way. A common word fills the page within
  // the first rows. A word whose products sit far along that order (guitars are not among the
  // cheapest products) would make an unbounded walk read most of the table, so past the bound
  // every match is sorted instead: work in proportion to the matches, not to the table.
  // How common the matches are among the rows the walk reads, from the planner's statistics.
  const [matching, walkable] = await Promise.all([estimatedRows(db, where), estimatedRows(db, whereOf(filters))]);
  const walk = walkLength(search.offset + search.limit, matching, walkable);
  if (walk !== undefined) {
    const walked = await sql<SearchRow>`
      select ${columns}, price::text as price_text
      from (select ${columns}, search from products ${whereOf(filters)} order by ${order} limit ${walk}) walk
      where search @@ ${query} order by ${order} limit ${search.limit} offset ${search.offset}`.execute(db);
    if (walked.rows.length === search.limit) return { items: walked.rows.map(toProductRow), total: cap, totalCapped: true };
  }
  const sorted = await sql<SearchRow>`
    with all_matches as materialized (select ${columns} from products ${where})
    select ${columns}, price::text as price_text from all_matches order by ${order} limit ${search.limit} offset ${search.offset}`.execute(db);
  return { items: sorted.rows.map(toProductRow), total: cap, totalCapped: true };
}

const MAX_WALK_ROWS = 20_000;

/**
 * How many rows to read along the order to find `wanted` matches (three times the expected number,
 * for matches spread unevenly), or undefined when sorting every match reads fewer rows.
 */
function walkLength(wanted: number, matching: number, walkable: number): number | undefined {
  if (!(matching > 0) || !(walkable > 0)) return Math.min(MAX_WALK_ROWS, 20 * wanted);
  const walk = Math.ceil((3 * wanted * walkable) / matching);
  return walk <= Math.min(MAX_WALK_ROWS, matching) ? walk : undefined;
}

/** The planner's estimate of how many rows a condition selects (no rows are read). */
async function estimatedRows(db: Kysely<ProductDatabase>, where: RawBuilder<unknown>): Promise<number> {
  const explained = await sql<{ 'QUERY PLAN': Array<{ Plan: { 'Plan Rows': number } }> | string }>`explain (format json) select 1 from products ${where}`.execute(db);
  const plan = explained.rows[0]?.['QUERY PLAN'];
  const parsed = typeof plan === 'string' ? (JSON.parse(plan) as Array<{ Plan: { 'Plan Rows': number } }>) : plan;
  return Number(parsed?.[0]?.Plan['Plan Rows'] ?? 0);
}

/** Prices leave the database as text: numeric must not pass through a float on the way. */
type SearchRow = ProductRow & { price_text: string };

function toProductRow(row: SearchRow): ProductRow {
  return {
    id: Number(row.id),
    name: row.name,
    description: row.description,
    category: row.category,
    price: row.price_text,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}
