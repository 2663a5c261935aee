import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { PGlite, PGliteOptions } from '@electric-sql/pglite';

/**
 * A new PGlite database runs initdb in WASM: seconds of CPU (about 5 s in memory, 13 s in a folder,
 * on this project's 2-core machines) at every fresh start, in every test and on a first `pnpm start`.
 * The cluster initdb makes is always the same for one PGlite release, so it is made once, kept as a
 * tarball in the temp folder, and loaded (about 1.5 s) wherever a database starts empty.
 */
const release = createHash('sha256').update(import.meta.resolve('@electric-sql/pglite')).digest('hex').slice(0, 16);
/** Where the kept cluster is (one file per PGlite release). */
export const templateFile = join(tmpdir(), 'arch-pglite', `initdb-${release}.tar.gz`);

/**
 * Node flags for a process whose database is PGlite. `--liftoff-only`: V8 compiles PGlite's 9 MB of
 * WASM with its baseline compiler only. The optimising tier recompiles hot functions in background
 * threads, which for a process that opens a database, runs some queries and ends costs more CPU than
 * it gives back (measured on Node 24, one database opened and 200 queries: 5.4 s of CPU by default,
 * 2.6 s with the flag; the service and product test files on PGlite took about 20% less CPU).
 * V8 reads it only at start: it is a command-line flag, not settable once the process runs.
 */
export const pgliteNodeFlags: readonly string[] = ['--liftoff-only'];

/** Whether `dir` would start a cluster from nothing (memory, or a folder initdb never ran in). */
export function startsEmpty(dir: string): boolean {
  return dir.startsWith('memory://') || !existsSync(join(dir, 'PG_VERSION'));
}

/** Opens PGlite at `dir`, from the kept initdb result when the database starts empty. */
export async function createPglite(pgliteClass: typeof PGlite, dir: string, options: PGliteOptions): Promise<PGlite> {
  if (!startsEmpty(dir)) return pgliteClass.create(dir, options);
  const template = readTemplate() ?? (await makeTemplate(pgliteClass));
  if (template) {
    try {
      return await pgliteClass.create(dir, { ...options, loadDataDir: template });
    } catch {
      // an unreadable template: start as if there were none
    }
  }
  return pgliteClass.create(dir, options);
}

function readTemplate(): Blob | undefined {
  try {
    return new Blob([readFileSync(templateFile)]);
  } catch {
    return undefined;
  }
}

const lockFile = `${templateFile}.lock`;

/**
 * Makes the template: initdb in memory (the quickest place), dumped before anything is written.
 * Processes that start at the same time (the three services of `pnpm start`, parallel test files)
 * make it once: one holds the lock file, the others wait for its result. A lock left by a process
 * that died is taken over. Undefined when there is no writable temp folder.
 */
async function makeTemplate(pgliteClass: typeof PGlite): Promise<Blob | undefined> {
  try {
    mkdirSync(dirname(templateFile), { recursive: true });
  } catch {
    return undefined;
  }
  const deadline = Date.now() + 180_000;
  while (Date.now() < deadline) {
    let fd: number;
    try {
      fd = openSync(lockFile, 'wx');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') return undefined;
      if (lockHolderGone()) rmSync(lockFile, { force: true });
      else await sleep(100);
      const made = readTemplate();
      if (made) return made;
      continue;
    }
    try {
      writeSync(fd, String(process.pid));
      const madeMeanwhile = readTemplate();
      if (madeMeanwhile) return madeMeanwhile;
      const bare = await pgliteClass.create('memory://', {});
      try {
        const dump = await bare.dumpDataDir('gzip');
        // written whole, then renamed: a process that reads it at the same time sees all of it or nothing
        const partial = `${templateFile}.${process.pid}`;
        writeFileSync(partial, Buffer.from(await dump.arrayBuffer()));
        renameSync(partial, templateFile);
        return dump;
      } finally {
        await bare.close();
      }
    } catch {
      return undefined;
    } finally {
      closeSync(fd);
      rmSync(lockFile, { force: true });
    }
  }
  return undefined;
}

/** Whether the process named in the lock file has ended (or the file holds no process yet for long). */
function lockHolderGone(): boolean {
  try {
    const pid = Number(readFileSync(lockFile, 'utf8'));
    if (!Number.isInteger(pid) || pid <= 0) return Date.now() - statSync(lockFile).mtimeMs > 10_000;
    process.kill(pid, 0);
    return false;
  } catch (err) {
    // ESRCH: no such process; ENOENT: the lock is gone already
    return (err as NodeJS.ErrnoException).code !== 'EPERM';
  }
}
