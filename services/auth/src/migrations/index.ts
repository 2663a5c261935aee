import type { Migrations } from '@arch/kit';
import * as createAccounts from './0001_create_accounts.ts';
import * as usernameKey from './0002_username_key.ts';

// Listed here rather than read from the folder, so the same list runs from src/ and from dist/.
export const migrations: Migrations = {
  '0001_create_accounts': createAccounts,
  '0002_username_key': usernameKey,
};
