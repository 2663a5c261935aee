import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import t from 'tap';
import { createPglite, startsEmpty, templateFile } from '../src/pglite-template.ts';

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
