import type { ChildProcess } from 'node:child_process';
import { spawnChild } from '@arch/kit';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';

export interface RunningProcess {
  name: string;
  child: ChildProcess;
  /** The last lines it printed (stdout and stderr), for failure messages. */
  output: string[];
  stop(): Promise<void>;
}

/** Starts a program; its output is kept (last 200 lines), never printed. */
export function startProcess(name: string, command: string, args: string[], env: Record<string, string> = {}): RunningProcess {
  const child = spawnChild(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  const keep = (line: string) => {
    output.push(line);
    if (output.length > 200) output.shift();
  };
  createInterface({ input: child.stdout! }).on('line', keep);
  createInterface({ input: child.stderr! }).on('line', keep);
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  return {
    name,
    child,
    output,
    stop: async () => {
      process.off('exit', killOnExit);
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Waits until `url` answers 2xx; fails early, with its output, when the process exits. */
export async function waitForHttp(running: RunningProcess, url: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (running.child.exitCode !== null || running.child.signalCode !== null) {
      throw new Error(`${running.name} exited (${running.child.exitCode ?? running.child.signalCode}):\n${running.output.join('\n')}`);
    }
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await response.arrayBuffer();
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`${running.name} did not answer ${url} within ${timeoutMs} ms:\n${running.output.join('\n')}`);
}
