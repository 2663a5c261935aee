// The official postgres image's entrypoint (docker-entrypoint.sh) on Debian's PostgreSQL: initdb as
// POSTGRES_USER with POSTGRES_PASSWORD, POSTGRES_DB, then /docker-entrypoint-initdb.d/*.sh and *.sql
// against a socket-only server, then the server itself on the pod's address.
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { appendFileSync, chmodSync, chownSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { postgresBin } from './images.ts';

const asPostgres = ['/usr/bin/setpriv', '--reuid=postgres', '--regid=postgres', '--init-groups', '--'];

const postgresId = (flag: '-u' | '-g') => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());

export interface PostgresInstance {
  dataDir: string;
  socketDir: string;
  /** argv of the server process (run as the postgres user). */
  argv: string[];
}

const execFileAsync = promisify(execFile);
const run = async (argv: string[], env: Record<string, string>, cwd: string) => {
  try {
    await execFileAsync(argv[0]!, argv.slice(1), { env, cwd, encoding: 'utf8' });
  } catch (err) {
    const failed = err as Error & { stderr?: string };
    throw new Error(`${argv.filter((part) => !part.startsWith('--')).slice(-3).join(' ')} failed: ${failed.stderr || failed.message}`);
  }
};

/** Prepares the data dir as the entrypoint would on first start; returns how to run the server. */
export async function initPostgres(options: { dir: string; env: Record<string, string>; args: string[]; podIP: string; initScripts: Record<string, string> }): Promise<PostgresInstance> {
  const [uid, gid] = [postgresId('-u'), postgresId('-g')];
  const dataDir = join(options.dir, 'pgdata');
  const socketDir = join(options.dir, 'run');
  for (const dir of [options.dir, dataDir, socketDir]) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chownSync(dir, uid, gid);
  }
  chmodSync(options.dir, 0o755);
  const user = options.env.POSTGRES_USER || 'postgres';
  const password = options.env.POSTGRES_PASSWORD ?? '';
  if (!password) throw new Error('POSTGRES_PASSWORD is empty: the postgres image refuses to initialise without it');
  const pwfile = join(options.dir, 'pwfile');
  writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  chownSync(pwfile, uid, gid);
  const env = { PATH: `${postgresBin}:/usr/bin:/bin`, LANG: 'C.UTF-8' };
  await run([...asPostgres, join(postgresBin, 'initdb'), '-D', dataDir, `--username=${user}`, `--pwfile=${pwfile}`, '-A', 'trust', '--encoding=UTF8', '--no-sync'], env, options.dir);
  // the image appends `host all all all scram-sha-256`; the local socket stays trusted, loopback TCP is not (every connection here comes from loopback)
  writeFileSync(join(dataDir, 'pg_hba.conf'), 'local all all trust\nhost all all all scram-sha-256\n');
  const pgctl = (...args: string[]) => run([...asPostgres, join(postgresBin, 'pg_ctl'), '-D', dataDir, ...args], env, options.dir);
  // -l: the server's output goes to a file, not to this process's pipes (which would then never close)
  await pgctl('-o', `-c listen_addresses='' -k ${socketDir}`, '-l', join(options.dir, 'init.log'), '-w', 'start');
  try {
    const psqlEnv = { ...options.env, ...env, PGHOST: socketDir, PGPORT: '5432', PGUSER: user, PGPASSWORD: password };
    const database = options.env.POSTGRES_DB || user;
    if (database !== 'postgres') await run([join(postgresBin, 'psql'), '-v', 'ON_ERROR_STOP=1', '--no-psqlrc', '-d', 'postgres', '-c', `CREATE DATABASE "${database.replaceAll('"', '""')}"`], psqlEnv, options.dir);
    for (const file of Object.keys(options.initScripts).sort()) {
      const path = join(options.dir, 'initdb.d', file);
      mkdirSync(join(options.dir, 'initdb.d'), { recursive: true });
      writeFileSync(path, options.initScripts[file]!, { mode: 0o755 });
      if (file.endsWith('.sh')) await run(['/bin/sh', path], psqlEnv, options.dir);
      else if (file.endsWith('.sql')) await run([join(postgresBin, 'psql'), '-v', 'ON_ERROR_STOP=1', '--no-psqlrc', '-d', database, '-f', path], psqlEnv, options.dir);
    }
  } finally {
    await pgctl('-m', 'fast', '-w', 'stop');
  }
  appendFileSync(join(dataDir, 'postgresql.conf'), `\nunix_socket_directories = '${socketDir}'\n`);
  return {
    dataDir,
    socketDir,
    argv: [...asPostgres, join(postgresBin, 'postgres'), '-D', dataDir, '-c', `listen_addresses=${options.podIP}`, '-p', '5432', ...options.args],
  };
}
