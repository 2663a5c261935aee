import { runMigrateCommand } from '@arch/kit';
import { productConfigSchema } from './config.ts';
import { migrations } from './migrations/index.ts';

await runMigrateCommand({ service: 'product', schema: productConfigSchema, migrations });
