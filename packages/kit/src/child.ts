import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { existsSync } from 'node:fs';

/** util-linux's setpriv sets PR_SET_PDEATHSIG, then execs the command: same pid, no extra process. */
const setpriv = process.platform === 'linux' ? ['/usr/bin/setpriv', '/bin/setpriv'].find((path) => existsSync(path)) : undefined;

/**
 * Spawns a child process that cannot outlive this one: on Linux the kernel sends it `deathSignal`
 * when this process dies, however it dies (SIGKILL included, where no exit handler runs).
 * Elsewhere it is a plain spawn, and `exit` handlers are all there is.
 */
export function spawnChild(command: string, args: readonly string[], options: SpawnOptions & { deathSignal?: NodeJS.Signals } = {}): ChildProcess {
  const { deathSignal = 'SIGTERM', ...spawnOptions } = options;
  if (!setpriv) return spawn(command, args, spawnOptions);
  return spawn(setpriv, ['--pdeathsig', deathSignal, '--', command, ...args], spawnOptions);
}
