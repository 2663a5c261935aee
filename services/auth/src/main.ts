import { runService } from '@arch/kit';
import { authConfigSchema, buildApp, migrations } from './app.ts';

await runService({ name: 'auth', schema: authConfigSchema, migrations, build: buildApp });
