import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

/** Whether `dir` would start a cluster from nothing (memory, or a folder initdb never ran in). */
export function startsEmpty(dir: string): boolean {
  return dir.startsWith('memory://') || !existsSync(join(dir, 'PG_VERSION'));
}

/** Opens PGlite at `dir`, from the kept initdb result when the database starts empty. */
export async function createPglite(pgliteClass: typeof PGlite, dir: string, options: PGliteOptions): Promise<PGlite> {
  if (!startsEmpty(dir)) return pgliteClass.create(dir, options);
  const template = readTemplate();
  if (template) {
    try {
      return await pgliteClass.create(dir, { ...options, loadDataDir: template });
    } catch {
      // an unreadable template: start as if there were none, and replace it below
    }
  }
  const pglite = await pgliteClass.create(dir, options);
  // dumped before the caller writes anything: the bare cluster initdb made
  await saveTemplate(pglite);
  return pglite;
}

function readTemplate(): Blob | undefined {
  try {
    return new Blob([readFileSync(templateFile)]);
  } catch {
    return undefined;
  }
}

async function saveTemplate(pglite: PGlite): Promise<void> {
  try {
    const dump = Buffer.from(await (await pglite.dumpDataDir('gzip')).arrayBuffer());
    mkdirSync(join(tmpdir(), 'arch-pglite'), { recursive: true });
    // written whole, then renamed: a process that reads it at the same time sees all of it or nothing
    const partial = `${templateFile}.${process.pid}`;
    writeFileSync(partial, dump);
    renameSync(partial, templateFile);
  } catch {
    // a read-only temp folder only means the next start runs initdb again
  }
}
