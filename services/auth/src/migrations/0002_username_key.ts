import { sql, type Kysely } from 'kysely';
import { usernameKey } from '@arch/kit';

// Account names are unique as the kit compares them (case-folded, NFC), the same key app's
// profiles use. Computed in JS, as the service computes it: Postgres's lower() depends on the
// database's locale.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('accounts').addColumn('username_key', 'varchar(64)').execute();
  const { rows } = await sql<{ id: string; username: string }>`select id, username from accounts`.execute(db);
  for (const row of rows) await sql`update accounts set username_key = ${usernameKey(row.username)} where id = ${row.id}`.execute(db);
  await db.schema.alterTable('accounts').alterColumn('username_key', (col) => col.setNotNull()).execute();
  await db.schema.dropIndex('accounts_username_key').execute();
  await db.schema.createIndex('accounts_username_key').on('accounts').column('username_key').unique().execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('accounts_username_key').execute();
  await db.schema.createIndex('accounts_username_key').on('accounts').expression(sql`lower(username)`).unique().execute();
  await db.schema.alterTable('accounts').dropColumn('username_key').execute();
}
