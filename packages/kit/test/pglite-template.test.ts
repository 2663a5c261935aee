import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import t from 'tap';
import { spawnChild } from '../src/child.ts';
import { createPglite, pgliteNodeFlags, startsEmpty, templateFile } from '../src/pglite-template.ts';

/** Runs an ES module's source in a new Node process (killed after `deadlineMs`): how it ended, and its stdout. */
async function runModule(source: string, env: Record<string, string>, deadlineMs: number) {
  const child = spawnChild(process.execPath, ['--conditions=development', ...pgliteNodeFlags, '--input-type=module', '-e', source], {
    env: { ...process.env, ...env },
    cwd: import.meta.dirname,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const killer = setTimeout(() => child.kill('SIGKILL'), deadlineMs);
  const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
  clearTimeout(killer);
  return { code, signal, out };
}

t.test('a new PGlite database starts from the kept initdb result, empty and on its own', async (t) => {
  const first = await createPglite(PGlite, 'memory://', {});
  t.teardown(() => first.close());
  await first.exec('create table notes (body text); insert into notes values ($$first$$)');
  t.ok(existsSync(templateFile), `the bare cluster is kept at ${templateFile}`);

  const second = await createPglite(PGlite, 'memory://', {});
  t.teardown(() => second.close());
  const tables = await second.query<{ n: number }>(`select count(*)::int as n from pg_tables where tablename = 'notes'`);
  t.equal(tables.rows[0]?.n, 0, 'nothing another database wrote comes along');
  t.same((await second.query<{ one: number }>('select 1 as one')).rows, [{ one: 1 }], 'and it answers');
});

t.test('a folder database starts from it once, then keeps its own data', async (t) => {
  const dir = join(mkdtempSync(join(tmpdir(), 'arch-pglite-test-')), 'data');
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  t.ok(startsEmpty(dir), 'a new folder starts empty');
  const opened = await createPglite(PGlite, dir, {});
  await opened.exec('create table kept (x int); insert into kept values (42)');
  await opened.close();
  t.notOk(startsEmpty(dir), 'once initialised, the folder is a cluster of its own');

  const reopened = await createPglite(PGlite, dir, {});
  t.teardown(() => reopened.close());
  t.same((await reopened.query<{ x: number }>('select x from kept')).rows, [{ x: 42 }], 'its data survives a restart');
});

t.test('processes that start together share one template; a lock left by a process that ended is taken over', async (t) => {
  const temp = mkdtempSync(join(tmpdir(), 'arch-pglite-lock-'));
  t.teardown(() => rmSync(temp, { recursive: true, force: true }));
  // a pid that has ended: the lock of a process that died while making the template
  const ended = spawnChild('true', []);
  await once(ended, 'exit');
  const folder = join(temp, 'arch-pglite');
  mkdirSync(folder);
  const lock = `${join(folder, basename(templateFile))}.lock`;
  writeFileSync(lock, String(ended.pid));

  const script = `
    const { PGlite } = await import('@electric-sql/pglite');
    const { createPglite } = await import(${JSON.stringify(join(import.meta.dirname, '../src/pglite-template.ts'))});
    const db = await createPglite(PGlite, 'memory://', {});
    const { rows } = await db.query('select 1 as one');
    await db.close();
    process.stdout.write(JSON.stringify(rows));`;
  const results = await Promise.all([0, 1, 2].map(() => runModule(script, { TMPDIR: temp }, 120_000)));
  t.same(results, [0, 1, 2].map(() => ({ code: 0, signal: null, out: '[{"one":1}]' })), 'every process gets a working database');
  t.same(readdirSync(folder), [basename(templateFile)], 'one template, no lock and no partial file left');
});

t.test('a PGlite database closed before any query lets its process end', async (t) => {
  const script = `
    const { openDatabase } = await import(${JSON.stringify(join(import.meta.dirname, '../src/db.ts'))});
    const database = await openDatabase({ config: { PGLITE_DIR: 'memory://', DB_POOL_MAX: 1, DB_CONNECT_TIMEOUT_MS: 2000, DB_QUERY_TIMEOUT_MS: 5000 } });
    await database.close();`;
  const { code, signal } = await runModule(script, {}, 30_000);
  t.same({ code, signal }, { code: 0, signal: null }, 'the process ends by itself once the database is closed');
});

t.test("the test runner starts its processes with PGlite's Node flags", async (t) => {
  const manifest = JSON.parse(readFileSync(join(import.meta.dirname, '../../../package.json'), 'utf8')) as { tap: { 'node-arg': string[] } };
  for (const flag of pgliteNodeFlags) t.ok(manifest.tap['node-arg'].includes(flag), `tap's node-arg has ${flag}`);
  t.ok(process.execArgv.some((arg) => pgliteNodeFlags.includes(arg)), 'and this process runs with them');
});
