// The stress command against the whole local stack (app, auth, product behind the dev gateway):
// 10 req/s held within ±10%, every public method touched, no unexpected errors, the summary's shape.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { spawnChild } from '@arch/kit';
import { realPostgresUrl } from '@arch/kit/testing';
import { root, startTestStack } from '../../../postman/test/newman.ts';
import type { Summary } from '../src/stats.ts';
import { assertSummaryShape } from './summary-shape.ts';

const backend = realPostgresUrl() ? 'postgres' : 'pglite';

t.test(`pnpm loadtest stress holds 10 req/s over every endpoint of the local stack (${backend})`, async (t) => {
  // a cheaper password hash (as the auth tests use): tap runs other suites beside this one, and the
  // rate must not depend on how busy the machine is; docs/load-report.md has a run at full cost
  const stack = await startTestStack(backend, undefined, { PASSWORD_SCRYPT_COST: '12' });
  t.teardown(() => stack.close());
  t.same(stack.services.map((service) => service.name).sort(), ['app', 'auth', 'product'], 'the three services run');
  const out = join(mkdtempSync(join(tmpdir(), 'arch-stress-')), 'summary.json');
  t.teardown(() => rmSync(join(out, '..'), { recursive: true, force: true }));

  // the command itself, as `pnpm loadtest stress` runs it, with a Host header as through an Ingress
  const args = ['--conditions=development', join(root, 'packages/load/src/cli.ts'), 'stress', '--base-url', stack.gatewayUrl, '--host', 'arch.homework'];
  const child = spawnChild(process.execPath, [...args, '--rps', '10', '--duration', '25', '--interval', '5', '--out', out], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let printed = '';
  child.stdout!.on('data', (chunk: Buffer) => (printed += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (printed += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  t.equal(code, 0, 'stress exits 0', { output: printed });

  const summary = JSON.parse(readFileSync(out, 'utf8')) as Summary;
  assertSummaryShape(t, summary);
  t.ok(summary.rps >= 9 && summary.rps <= 11, `rps ${summary.rps} within 9–11`);
  t.equal(summary.errors, 0, 'no unexpected errors', { errorKinds: summary.errorKinds, byEndpoint: summary.byEndpoint, output: stack.output.slice(-30) });
  const endpoints = Object.keys(summary.byEndpoint);
  t.same(endpoints.sort(), [
    'DELETE /otusapp/user/{id}',
    'GET /auth/jwks.json',
    'GET /otusapp/health',
    'GET /otusapp/user/{id}',
    'GET /products/search',
    'GET /products/{id}',
    'POST /auth/login',
    'POST /auth/logout',
    'POST /auth/register',
    'POST /otusapp/user',
    'PUT /otusapp/user/{id}',
  ], 'every public method of the three services');
  for (const [endpoint, stats] of Object.entries(summary.byEndpoint)) t.ok(stats.count > 0, `${endpoint} answered ${stats.count} times`);
  const lines = printed.split('\n').filter((line) => /^\s+\d+s\s+[\d.]+ req\/s/.test(line));
  t.ok(lines.length >= 4, `a line per 5 s interval (${lines.length})`);
});
