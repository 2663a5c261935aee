// What each rendered image is on this machine: the workspace's own images are the production
// build in the folder their Dockerfile deploys; postgres, redis and the exporters are Debian's
// programs of the same name.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export const postgresBin = '/usr/lib/postgresql/15/bin';

export interface ImageConfig {
  /** What the image is run as. */
  kind: 'workspace' | 'postgres' | 'redis' | 'postgres-exporter' | 'redis-exporter';
  entrypoint: string[];
  cmd: string[];
  /** ENV of the image (the final stage). */
  env: Record<string, string>;
  /** WORKDIR: for a workspace image, the folder `pnpm deploy` lays out (the service's own folder). */
  workingDir: string;
}

/** ENV, CMD and ENTRYPOINT of a Dockerfile's last stage (exec form; ENV in `k=v` form, with continuations). */
export function dockerfileConfig(text: string): { env: Record<string, string>; cmd: string[]; entrypoint: string[] } {
  const instructions = text
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  const lastFrom = instructions.findLastIndex((line) => /^FROM\s/i.test(line));
  const stage = instructions.slice(lastFrom + 1);
  const env: Record<string, string> = {};
  let cmd: string[] = [];
  let entrypoint: string[] = [];
  for (const line of stage) {
    const [, instruction = '', rest = ''] = /^(\w+)\s+(.*)$/.exec(line) ?? [];
    if (/^ENV$/i.test(instruction)) {
      for (const [, name, value] of rest.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|\S*)/g)) env[name!] = value!.replace(/^"(.*)"$/, '$1');
    } else if (/^CMD$/i.test(instruction)) cmd = JSON.parse(rest) as string[];
    else if (/^ENTRYPOINT$/i.test(instruction)) entrypoint = JSON.parse(rest) as string[];
  }
  return { env, cmd, entrypoint };
}

/** The image config for `image` (name:tag), given skaffold's artifacts (name → Dockerfile). */
export function imageConfig(image: string, artifacts: ReadonlyMap<string, string>, root: string): ImageConfig {
  const name = image.replace(/[:@].*$/, '');
  const dockerfile = artifacts.get(name);
  if (dockerfile) {
    const config = dockerfileConfig(readFileSync(join(root, dockerfile), 'utf8'));
    const workingDir = join(root, dirname(dockerfile));
    if (!existsSync(join(workingDir, 'dist'))) throw new Error(`${image}: ${workingDir}/dist is missing; run pnpm build`);
    return { kind: 'workspace', ...config, workingDir };
  }
  const base = name.split('/').pop() ?? name;
  if (base === 'postgres') return { kind: 'postgres', entrypoint: ['docker-entrypoint.sh'], cmd: ['postgres'], env: {}, workingDir: '/' };
  if (base === 'redis') return { kind: 'redis', entrypoint: ['docker-entrypoint.sh'], cmd: ['redis-server'], env: {}, workingDir: '/data' };
  if (base === 'postgres-exporter') return { kind: 'postgres-exporter', entrypoint: ['prometheus-postgres-exporter'], cmd: [], env: {}, workingDir: '/' };
  if (base === 'redis_exporter') return { kind: 'redis-exporter', entrypoint: ['prometheus-redis-exporter'], cmd: [], env: {}, workingDir: '/' };
  throw new Error(`image ${image} is neither built by skaffold.yaml nor one the rehearsal knows how to run`);
}
