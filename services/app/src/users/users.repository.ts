import type { Kysely } from 'kysely';
import { usernameKey } from '@arch/kit';
import type { AppDatabase, NewUserRow, UserRow, UserRowUpdate } from './users.table.ts';

export type UsersRepository = ReturnType<typeof createUsersRepository>;

export function createUsersRepository(db: Kysely<AppDatabase>) {
  return {
    create(user: NewUserRow): Promise<UserRow> {
      return db.insertInto('users').values({ ...user, username_key: usernameKey(user.username) }).returningAll().executeTakeFirstOrThrow();
    },

    /** With auth on, a profile's id is its owner's user id (the token subject). */
    createWithId(id: number, user: NewUserRow): Promise<UserRow> {
      return db.insertInto('users').values({ ...user, username_key: usernameKey(user.username), id }).returningAll().executeTakeFirstOrThrow();
    },

    findById(id: number): Promise<UserRow | undefined> {
      return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
    },

    update(id: number, patch: UserRowUpdate): Promise<UserRow | undefined> {
      return db
        .updateTable('users')
        .set({ ...patch, ...(patch.username !== undefined ? { username_key: usernameKey(patch.username) } : {}), updated_at: new Date() })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst();
    },

    async delete(id: number): Promise<boolean> {
      const result = await db.deleteFrom('users').where('id', '=', id).executeTakeFirst();
      return result.numDeletedRows > 0n;
    },
  };
}
