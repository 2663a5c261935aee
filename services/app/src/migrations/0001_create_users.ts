import { sql, type Kysely } from 'kysely';

// Migrations see the database as it was when they were written, so they are not typed by today's tables.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('users')
    .addColumn('id', 'bigint', (col) => col.primaryKey().generatedByDefaultAsIdentity())
    .addColumn('username', 'varchar(256)', (col) => col.notNull())
    .addColumn('first_name', 'varchar(256)')
    .addColumn('last_name', 'varchar(256)')
    .addColumn('email', 'varchar(320)', (col) => col.notNull())
    .addColumn('phone', 'varchar(32)')
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('users_username_key').on('users').column('username').unique().execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('users').execute();
}
