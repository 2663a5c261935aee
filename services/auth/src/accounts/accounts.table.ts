import type { Generated, Insertable, Selectable } from 'kysely';
import type { Role } from '@arch/kit';

export interface AccountsTable {
  id: Generated<number>;
  username: string;
  /** usernameKey(username): what uniqueness and login are checked on. */
  username_key: string;
  email: string;
  first_name: string | null;
  last_name: string | null;
  phone: string | null;
  password_hash: string;
  role: Generated<Role>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface RevokedTokensTable {
  jti: string;
  expires_at: Date;
}

export interface AuthDatabase {
  accounts: AccountsTable;
  revoked_tokens: RevokedTokensTable;
}

export type AccountRow = Selectable<AccountsTable>;
export type NewAccountRow = Omit<Insertable<AccountsTable>, 'username_key'>;
