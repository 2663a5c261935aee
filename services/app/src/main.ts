import { runService } from '@arch/kit';
import { appConfigSchema, buildApp, migrations } from './app.ts';

await runService({ name: 'app', schema: appConfigSchema, migrations, build: buildApp });
