// One probe attempt as the kubelet makes it: httpGet (2xx/3xx), tcpSocket (connects), exec (exit 0),
// each within timeoutSeconds (default 1).
import { spawn } from 'node:child_process';
import { createConnection } from 'node:net';
import type { Probe } from './objects.ts';

export interface ProbeTarget {
  ip: string;
  /** Container port names → numbers. */
  ports: Record<string, number>;
  env: Record<string, string>;
  /** Rewrites an exec probe's command for this machine. */
  command(argv: string[]): string[];
}

const portOf = (port: number | string, target: ProbeTarget) => (typeof port === 'number' ? port : /^\d+$/.test(port) ? Number(port) : target.ports[port]);

export async function probeOnce(probe: Probe, target: ProbeTarget): Promise<{ ok: boolean; detail: string }> {
  const timeoutMs = (probe.timeoutSeconds ?? 1) * 1000;
  if (probe.httpGet) {
    const port = portOf(probe.httpGet.port, target);
    const url = `http://${target.ip}:${port}${probe.httpGet.path ?? '/'}`;
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'manual', headers: { 'user-agent': 'kube-probe/1.35' } });
      await response.arrayBuffer();
      return { ok: response.status >= 200 && response.status < 400, detail: `${url} ${response.status}` };
    } catch (err) {
      return { ok: false, detail: `${url} ${(err as Error).message}` };
    }
  }
  if (probe.tcpSocket) {
    const port = portOf(probe.tcpSocket.port, target);
    return new Promise((resolve) => {
      const socket = createConnection({ host: target.ip, port: port ?? 0, timeout: timeoutMs });
      socket.once('connect', () => {
        socket.destroy();
        resolve({ ok: true, detail: `tcp ${port}` });
      });
      socket.once('error', (err) => resolve({ ok: false, detail: `tcp ${port}: ${err.message}` }));
      socket.once('timeout', () => {
        socket.destroy();
        resolve({ ok: false, detail: `tcp ${port}: timeout` });
      });
    });
  }
  if (probe.exec) {
    const [command, ...args] = target.command(probe.exec.command);
    return new Promise((resolve) => {
      const child = spawn(command!, args, { env: target.env, stdio: 'ignore', timeout: timeoutMs, killSignal: 'SIGKILL' });
      child.once('error', (err) => resolve({ ok: false, detail: `${command}: ${err.message}` }));
      child.once('exit', (code, signal) => resolve({ ok: code === 0, detail: `${command} exited ${code ?? signal}` }));
    });
  }
  return { ok: true, detail: 'no handler' };
}
