import type { Generated, Insertable, Selectable, Updateable } from 'kysely';

export interface UsersTable {
  id: Generated<number>;
  username: string;
  /** usernameKey(username): what uniqueness is checked on. */
  username_key: string;
  first_name: string | null;
  last_name: string | null;
  email: string;
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
