/**
 * The cluster's edge for the rehearsal: real nginx, configured from the rendered Ingress objects the
 * way ingress-nginx would (edge-config.ts), listening where the caller says.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { delimiter, join } from 'node:path';
import { renderNginxConfig, type EdgeOptions } from './edge-config.ts';

export { renderNginxConfig };
export type { EdgeOptions, IngressObject, IngressRule, HTTPIngressPath, IngressBackend, ServiceBackendPort, IngressTLS, PathType } from './edge-config.ts';

const STARTUP_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5_000;

/** The nginx binary: on PATH, or where Debian puts it (/usr/sbin is not on every user's PATH). */
export function findNginx(): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), '/usr/sbin', '/usr/local/sbin'];
  return dirs.map((dir) => join(dir, 'nginx')).find((candidate) => existsSync(candidate));
}

/** A port the host will let us listen on now (nginx itself cannot be asked for port 0's choice). */
async function freePort(host: string): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, host, resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error(`no free port on ${host}`);
  return address.port;
}

/** GET /healthz of the catch-all server: 200 once nginx accepts connections. */
function healthy(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = request({ host, port, path: '/healthz', headers: { host: 'edge-probe' }, timeout: 500 }, (response) => {
      response.resume();
      resolve(response.statusCode === 200);
    });
    probe.on('error', () => resolve(false)).on('timeout', () => probe.destroy());
    probe.end();
  });
}

const errorLogTail = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').slice(-10).join('\n') : '');

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Writes the configuration, checks it with `nginx -t`, starts nginx and waits until it answers. */
export async function startEdge(o: EdgeOptions): Promise<{ url: string; stop(): Promise<void> }> {
  const nginx = findNginx();
  if (!nginx) throw new Error('nginx is not installed (Debian: apt-get install nginx)');
  mkdirSync(o.workDir, { recursive: true });
  const listen = { host: o.listen.host, port: o.listen.port || (await freePort(o.listen.host)) };
  const conf = join(o.workDir, 'nginx.conf');
  const errorLog = join(o.workDir, 'error.log');
  writeFileSync(conf, renderNginxConfig({ ...o, listen }));
  // -p: relative paths and the startup error log stay in workDir, never /var/log/nginx
  const args = ['-p', `${o.workDir}/`, '-c', conf, '-e', errorLog];
  const check = spawnSync(nginx, ['-t', ...args], { encoding: 'utf8' });
  if (check.status !== 0) throw new Error(`nginx refused ${conf}:\n${check.stderr.trim()}`);

  const child = spawn(nginx, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = exited(child);
    // TERM: nginx's fast shutdown; in-flight requests are the caller's to finish first
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await gone;
    clearTimeout(timer);
  };

  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  while (!(await healthy(listen.host, listen.port))) {
    if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`nginx did not start on ${listen.host}:${listen.port}: ${stderr.trim() || errorLogTail(errorLog)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { url: `http://${listen.host}:${listen.port}`, stop };
}
