import { sql, type Kysely } from 'kysely';
import { usernameKey } from '@arch/kit';

// Profile usernames are unique as the kit compares them (case-folded, NFC): "Alice", "alice" and a
// decomposed "Alice" are one name. The key is computed in JS, as the service computes it, because
// Postgres's lower() depends on the database's locale. Two existing names with one key stop the
// migration at the unique index, naming the key.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('users').addColumn('username_key', 'text').execute();
  const { rows } = await sql<{ id: string; username: string }>`select id, username from users`.execute(db);
  for (const row of rows) await sql`update users set username_key = ${usernameKey(row.username)} where id = ${row.id}`.execute(db);
  await db.schema.alterTable('users').alterColumn('username_key', (col) => col.setNotNull()).execute();
  await db.schema.dropIndex('users_username_key').execute();
  await db.schema.createIndex('users_username_key').on('users').column('username_key').unique().execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('users_username_key').execute();
  await db.schema.createIndex('users_username_key').on('users').column('username').unique().execute();
  await db.schema.alterTable('users').dropColumn('username_key').execute();
}
