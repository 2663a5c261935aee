import { sql, type Kysely } from 'kysely';
import { usernameKey, type Role } from '@arch/kit';
import type { AccountRow, AuthDatabase, NewAccountRow } from './accounts.table.ts';

export type AccountsRepository = ReturnType<typeof createAccountsRepository>;

export function createAccountsRepository(db: Kysely<AuthDatabase>) {
  return {
    create(account: NewAccountRow): Promise<AccountRow> {
      return db.insertInto('accounts').values({ ...account, username_key: usernameKey(account.username) }).returningAll().executeTakeFirstOrThrow();
    },

    findByUsername(username: string): Promise<AccountRow | undefined> {
      return db.selectFrom('accounts').selectAll().where('username_key', '=', usernameKey(username)).executeTakeFirst();
    },

    async exists(id: number): Promise<boolean> {
      return (await db.selectFrom('accounts').select('id').where('id', '=', id).executeTakeFirst()) !== undefined;
    },

    /** Which of the two unique fields is already taken. */
    async takenFields(username: string, email: string): Promise<{ username: boolean; email: boolean }> {
      const key = usernameKey(username);
      const rows = await db
        .selectFrom('accounts')
        .select(['username_key', 'email'])
        .where((eb) => eb.or([eb('username_key', '=', key), eb(sql<string>`lower(email)`, '=', email.toLowerCase())]))
        .execute();
      return {
        username: rows.some((row) => row.username_key === key),
        email: rows.some((row) => row.email.toLowerCase() === email.toLowerCase()),
      };
    },

    setRoleAndPassword(id: number, role: Role, passwordHash: string): Promise<AccountRow | undefined> {
      return db
        .updateTable('accounts')
        .set({ role, password_hash: passwordHash, updated_at: new Date() })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst();
    },
  };
}
