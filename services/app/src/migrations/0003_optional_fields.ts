import type { Kysely } from 'kysely';

// The otus55 contract requires no field of a User: a profile may have no username or email. A
// missing username has no key either; the unique index on the key lets any number of them be null.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('users')
    .alterColumn('username', (col) => col.dropNotNull())
    .alterColumn('username_key', (col) => col.dropNotNull())
    .alterColumn('email', (col) => col.dropNotNull())
    .execute();
}

// Back to required fields: fails, naming the column, while a profile still lacks one.
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('users')
    .alterColumn('username', (col) => col.setNotNull())
    .alterColumn('username_key', (col) => col.setNotNull())
    .alterColumn('email', (col) => col.setNotNull())
    .execute();
}
