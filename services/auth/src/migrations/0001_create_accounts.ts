import { sql, type Kysely } from 'kysely';

// Migrations see the database as it was when they were written, so they are not typed by today's tables.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('accounts')
    .addColumn('id', 'bigint', (col) => col.primaryKey().generatedByDefaultAsIdentity())
    .addColumn('username', 'varchar(64)', (col) => col.notNull())
    .addColumn('email', 'varchar(320)', (col) => col.notNull())
    .addColumn('first_name', 'varchar(256)')
    .addColumn('last_name', 'varchar(256)')
    .addColumn('phone', 'varchar(32)')
    .addColumn('password_hash', 'text', (col) => col.notNull())
    .addColumn('role', 'varchar(16)', (col) => col.notNull().defaultTo('user'))
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .execute();
  // Names and addresses are unique regardless of case: "Alice" cannot shadow "alice".
  await db.schema.createIndex('accounts_username_key').on('accounts').expression(sql`lower(username)`).unique().execute();
  await db.schema.createIndex('accounts_email_key').on('accounts').expression(sql`lower(email)`).unique().execute();

  // Logged-out tokens when no Redis is configured; a row is useless once its token has expired.
  await db.schema
    .createTable('revoked_tokens')
    .addColumn('jti', 'varchar(64)', (col) => col.primaryKey())
    .addColumn('expires_at', 'timestamptz', (col) => col.notNull())
    .execute();
  await db.schema.createIndex('revoked_tokens_expires_at_idx').on('revoked_tokens').column('expires_at').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('revoked_tokens').execute();
  await db.schema.dropTable('accounts').execute();
}
