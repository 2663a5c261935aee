import { sql, type Kysely } from 'kysely';
import { usernameKey } from '@arch/kit';
import type { AppDatabase, NewUserRow, UserRow, UserRowUpdate } from './users.table.ts';

export type UsersRepository = ReturnType<typeof createUsersRepository>;

export function createUsersRepository(db: Kysely<AppDatabase>) {
  return {
    /**
     * A new profile; with `id`, that id (with auth on, its owner's user id; without, the one the
     * client asked for), and the id sequence is moved past it so that a later generated id is free.
     */
    create(user: NewUserRow, id?: number): Promise<UserRow> {
      const values = { ...user, username_key: user.username == null ? null : usernameKey(user.username) };
      if (id === undefined) return db.insertInto('users').values(values).returningAll().executeTakeFirstOrThrow();
      return db.transaction().execute(async (trx) => {
        const row = await trx.insertInto('users').values({ ...values, id }).returningAll().executeTakeFirstOrThrow();
        await sql`select setval(s.seq, greatest(coalesce(pg_sequence_last_value(s.seq::regclass), 0), ${id}::bigint)) from (select pg_get_serial_sequence('users', 'id') as seq) s`.execute(trx);
        return row;
      });
    },

    findById(id: number): Promise<UserRow | undefined> {
      return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
    },

    update(id: number, patch: UserRowUpdate): Promise<UserRow | undefined> {
      return db
        .updateTable('users')
        .set({ ...patch, ...(patch.username != null ? { username_key: usernameKey(patch.username) } : {}), updated_at: new Date() })
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
