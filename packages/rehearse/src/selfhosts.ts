// The rehearsal's own view of DNS: arch.homework is the edge, as `/etc/hosts` says on a laptop that
// talks to minikube. The CLI re-runs itself in a private mount namespace with its own /etc/hosts.
import { spawn } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';

const variable = 'REHEARSE_HOSTS_FILE';
const hostsMount = 'mount --bind "$0" /etc/hosts && exec "$@"';

/** Inside the namespace: undefined; outside: re-runs this process inside it and resolves with its exit code. */
export function reexecWithOwnHosts(hostsFile: string): Promise<number> | undefined {
  if (process.env[variable]) return undefined;
  writeFileSync(hostsFile, readFileSync('/etc/hosts', 'utf8'));
  const child = spawn('/usr/bin/unshare', ['--mount', '--propagation', 'private', '/bin/sh', '-c', hostsMount, hostsFile, process.execPath, ...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, [variable]: hostsFile },
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => child.kill(signal));
  return new Promise((resolve) =>
    child.once('exit', (code, signal) => {
      rmSync(hostsFile, { force: true });
      resolve(code ?? (signal ? 1 : 0));
    }),
  );
}

/** Points `names` at `address` in this process's /etc/hosts (written in place: the bind mount follows). */
export function mapHost(names: readonly string[], address: string): void {
  const file = process.env[variable];
  if (!file) throw new Error(`${variable} is not set: run through reexecWithOwnHosts`);
  const kept = readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line && !names.some((name) => line.split(/\s+/).slice(1).includes(name)));
  writeFileSync(file, `${[...kept, `${address}\t${names.join(' ')}`].join('\n')}\n`);
}
