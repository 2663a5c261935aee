import { sql, type Kysely } from 'kysely';
import type { Role } from '@arch/kit';
import type { AccountRow, AuthDatabase, NewAccountRow } from './accounts.table.ts';

export type AccountsRepository = ReturnType<typeof createAccountsRepository>;

export function createAccountsRepository(db: Kysely<AuthDatabase>) {
  return {
    create(account: NewAccountRow): Promise<AccountRow> {
      return db.insertInto('accounts').values(account).returningAll().executeTakeFirstOrThrow();
    },

    findByUsername(username: string): Promise<AccountRow | undefined> {
      return db.selectFrom('accounts').selectAll().where(sql<string>`lower(username)`, '=', username.toLowerCase()).executeTakeFirst();
    },

    async exists(id: number): Promise<boolean> {
      return (await db.selectFrom('accounts').select('id').where('id', '=', id).executeTakeFirst()) !== undefined;
    },

    /** Which of the two unique fields is already taken. */
    async takenFields(username: string, email: string): Promise<{ username: boolean; email: boolean }> {
      const rows = await db
        .selectFrom('accounts')
        .select(['username', 'email'])
        .where((eb) => eb.or([eb(sql<string>`lower(username)`, '=', username.toLowerCase()), eb(sql<string>`lower(email)`, '=', email.toLowerCase())]))
        .execute();
      return {
        username: rows.some((row) => row.username.toLowerCase() === username.toLowerCase()),
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
