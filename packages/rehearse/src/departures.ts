// Where a container run here differs from the same container in a pod, each rule in one place:
// docs/kubernetes.md lists them for readers.
import { delimiter } from 'node:path';
import type { Container } from './objects.ts';
import { postgresBin, type ImageConfig } from './images.ts';

export const departures = [
  'a pod is processes on this machine: its address is 127.40.<n>.1 on loopback, and 0.0.0.0, 127.0.0.1 and localhost in its env and args mean that address',
  'servers that bind every address by default are told to bind the pod address: redis-server --bind, the exporters --web.listen-address',
  'cluster DNS is a hosts file per pod, bind-mounted over /etc/hosts in a private mount namespace; a Service is a TCP proxy address per (client pod, Service)',
  'workspace images are the `pnpm build` output run in the service folder with the workspace node_modules (the image has `pnpm deploy` output in /app)',
  'postgres:18 and redis:8.2 are Debian\'s PostgreSQL 15 and Redis 7; the exporters are Debian\'s prometheus-postgres-exporter and prometheus-redis-exporter',
  'PostgreSQL accepts loopback TCP by password (scram-sha-256) like any pod address, since every rehearsal connection arrives from loopback',
  'volumes (emptyDir, PVC, ConfigMap) are folders under the rehearsal\'s work dir; a mount path in args or env names that folder',
  'processes run as root (PostgreSQL as the postgres user): no runAsUser, read-only root, capabilities, seccomp',
  'PATH has Node 24 and the PostgreSQL binaries first',
  'no scheduler, resource requests or limits, HPA (the Deployment runs its HPA minReplicas when it sets no replicas), PDB, rolling updates or PVC retention',
] as const;

const podLocal = /\b(?:0\.0\.0\.0|127\.0\.0\.1|localhost)\b/g;

export interface Localised {
  argv: string[];
  env: Record<string, string>;
  cwd: string;
}

/** Env and argv of a container with the pod's addresses and volumes made local. */
export function localise(options: {
  container: Container;
  image: ImageConfig;
  argv: string[];
  env: Record<string, string>;
  podIP: string;
  podName: string;
  volumeDir: (volume: string) => string;
  nodeBinDir: string;
}): Localised {
  const mounts = (options.container.volumeMounts ?? []).map((mount) => ({ path: mount.mountPath.replace(/\/$/, ''), dir: options.volumeDir(mount.name) })).sort((a, b) => b.path.length - a.path.length);
  const local = (text: string) => {
    const result = text.replace(podLocal, options.podIP);
    const mount = mounts.find((candidate) => result === candidate.path || result.startsWith(`${candidate.path}/`));
    return mount ? mount.dir + result.slice(mount.path.length) : result;
  };
  const env: Record<string, string> = { HOSTNAME: options.podName, ...options.image.env };
  for (const [name, value] of Object.entries(options.env)) env[name] = local(value);
  for (const [name, value] of Object.entries(options.image.env)) if (!Object.hasOwn(options.env, name)) env[name] = local(value);
  env.PATH = [options.nodeBinDir, postgresBin, env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'].join(delimiter);
  const argv = options.argv.map(local);
  const port = (name: string) => options.container.ports?.find((candidate) => candidate.name === name)?.containerPort ?? options.container.ports?.[0]?.containerPort;
  if (options.image.kind === 'redis') argv.push('--bind', options.podIP);
  if (options.image.kind === 'postgres-exporter' || options.image.kind === 'redis-exporter') argv.push(`--web.listen-address=${options.podIP}:${port('metrics')}`);
  const cwd = options.container.workingDir ? local(options.container.workingDir) : options.image.kind === 'workspace' ? options.image.workingDir : options.volumeDir('');
  return { argv, env, cwd };
}

/** A probe's exec command as the container would run it. */
export const localCommand = (command: string[], podIP: string) => command.map((part) => part.replace(podLocal, podIP));
