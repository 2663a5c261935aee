import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** The external programs the proof runs, by the names Debian's packages and upstream releases give them. */
export const toolNames = {
  prometheus: ['prometheus'],
  promtool: ['promtool'],
  postgresExporter: ['prometheus-postgres-exporter', 'postgres_exporter'],
  redisExporter: ['prometheus-redis-exporter', 'redis_exporter'],
} as const;

export type Tool = keyof typeof toolNames;

/** Debian's packages that ship them (.ci/run installs these). */
export const toolPackages: Record<Tool, string> = {
  prometheus: 'prometheus',
  promtool: 'prometheus',
  postgresExporter: 'prometheus-postgres-exporter',
  redisExporter: 'prometheus-redis-exporter',
};

const executable = (path: string) => {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

/** Where a tool is: on PATH, or in /usr/bin and /usr/local/bin. */
export function findTool(tool: Tool): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), '/usr/bin', '/usr/local/bin'];
  for (const name of toolNames[tool]) {
    for (const dir of dirs) {
      const path = join(dir, name);
      if (executable(path)) return path;
    }
  }
  return undefined;
}

/** Every tool's path; throws naming the missing ones. */
export function toolPaths<T extends Tool>(tools: readonly T[]): Record<T, string> {
  const found = {} as Record<T, string>;
  const missing: string[] = [];
  for (const tool of tools) {
    const path = findTool(tool);
    if (path) found[tool] = path;
    else missing.push(`${toolNames[tool].join(' or ')} (Debian package ${toolPackages[tool]})`);
  }
  if (missing.length > 0) throw new Error(`missing: ${missing.join(', ')}`);
  return found;
}

/**
 * For a test that needs these programs: the reason to skip it on a laptop without them, or false
 * to run it. Under CI=true it never skips: a missing program fails the run (.ci/run installs them).
 */
export function needsTools(tools: readonly Tool[]): string | false {
  try {
    toolPaths(tools);
    return false;
  } catch (err) {
    const reason = `${(err as Error).message}; apt-get install prometheus prometheus-postgres-exporter prometheus-redis-exporter`;
    if (process.env.CI === 'true') throw new Error(`CI=true but this test cannot run: ${reason}`);
    return reason;
  }
}
