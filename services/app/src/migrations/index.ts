import type { Migrations } from '@arch/kit';
import * as createUsers from './0001_create_users.ts';
import * as usernameKey from './0002_username_key.ts';
import * as optionalFields from './0003_optional_fields.ts';

// Listed here rather than read from the folder, so the same list runs from src/ and from dist/.
export const migrations: Migrations = {
  '0001_create_users': createUsers,
  '0002_username_key': usernameKey,
  '0003_optional_fields': optionalFields,
};
