import { runMigrateCommand } from '@arch/kit';
import { appConfigSchema } from './config.ts';
import { migrations } from './migrations/index.ts';

await runMigrateCommand({ service: 'app', schema: appConfigSchema, migrations });
