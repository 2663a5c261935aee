import type { Generated, Insertable, Selectable, Updateable } from 'kysely';

export interface UsersTable {
  id: Generated<number>;
  username: string | null;
  /** usernameKey(username): what uniqueness is checked on (null without a username). */
  username_key: string | null;
  first_name: string | null;
  last_name: string | null;
  email: string | null;
  phone: string | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface AppDatabase {
  users: UsersTable;
}

export type UserRow = Selectable<UsersTable>;
export type NewUserRow = Omit<Insertable<UsersTable>, 'username_key'>;
export type UserRowUpdate = Omit<Updateable<UsersTable>, 'username_key'>;
