import { sql, type Kysely } from 'kysely';

// Migrations see the database as it was when they were written, so they are not typed by today's tables.
//
// Search: a stored tsvector created with the table (adding it later rewrites every row) and a GIN
// index on it. Text is indexed with the `russian` configuration, which stems Cyrillic words with the
// Russian Snowball stemmer and Latin words with the English one (космоса → космос, headphones →
// headphon); the name also with `simple`, which keeps whole lower-cased words so that a prefix typed
// so far ("runni") still matches a word whose stem is shorter ("running" → run). Descriptions get
// only the stems: rows stay small, and reading rows is what a search pays for. ё is folded to е on
// both sides. The name weighs more (A) than the description (B) for ranking.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('products')
    .addColumn('id', 'bigint', (col) => col.primaryKey().generatedByDefaultAsIdentity())
    .addColumn('name', 'varchar(200)', (col) => col.notNull())
    .addColumn('description', 'text', (col) => col.notNull().defaultTo(''))
    .addColumn('category', 'varchar(64)', (col) => col.notNull())
    // exact money: numeric, never a float
    .addColumn('price', 'numeric(12, 2)', (col) => col.notNull().check(sql`price >= 0`))
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    // the seeder's row number: a re-run inserts only the numbers that are missing
    .addColumn('seed_no', 'integer')
    .addColumn('search', sql`tsvector`, (col) =>
      col
        .generatedAlwaysAs(
          sql`setweight(to_tsvector('russian', translate(name, 'Ёё', 'Ее')) || to_tsvector('simple', translate(name, 'Ёё', 'Ее')), 'A')
           || setweight(to_tsvector('russian', translate(description, 'Ёё', 'Ее')), 'B')`,
        )
        .stored(),
    )
    .execute();
  await db.schema.createIndex('products_search_idx').on('products').using('gin').column('search').execute();
  // Sorted pages and price ranges, with the id as the tie-breaker that makes pagination stable.
  await db.schema.createIndex('products_price_idx').on('products').columns(['price', 'id']).execute();
  await db.schema.createIndex('products_created_idx').on('products').columns(['created_at', 'id']).execute();
  await db.schema.createIndex('products_category_price_idx').on('products').columns(['category', 'price', 'id']).execute();
  await db.schema.createIndex('products_seed_no_key').on('products').column('seed_no').unique().execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('products').execute();
}
