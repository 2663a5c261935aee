import { runMigrateCommand } from '@arch/kit';
import { authConfigSchema } from './config.ts';
import { migrations } from './migrations/index.ts';

await runMigrateCommand({ service: 'auth', schema: authConfigSchema, migrations });
