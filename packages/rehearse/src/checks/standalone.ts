// The README's "without skaffold" commands, run as written on a clean copy of the repository (its
// tracked files only: no built subcharts). No API server runs here, so `helm upgrade --install`
// runs as `helm install --dry-run=client`, which checks dependencies and renders just the same.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { helmNoise, parseManifests, runHelm } from '../../../../charts/test/lib/helm.ts';
import { standaloneBlock } from '../../../../scripts/chart-docs.ts';

/** The helm commands of the README's fenced block after the line that starts `Without skaffold`. */
export function readmeHelmCommands(readme: string): string[] {
  return standaloneBlock(readme)
    .map((line) => line.replace(/\s+#.*$/, '').trim())
    .filter((line) => line.startsWith('helm '));
}

/** Shell-like words of a command line (no quoting is used in these commands). */
const words = (line: string) => line.split(/\s+/).filter(Boolean);

/** `helm upgrade --install NAME CHART ...` → `helm install NAME CHART ... --dry-run=client`; other commands as written. */
export function offlineHelmArgs(line: string): string[] {
  const args = words(line).slice(1);
  if (args[0] === 'upgrade' && args[1] === '--install') return ['install', ...args.slice(2), '--dry-run=client'];
  if (args[0] === 'upgrade' && args.includes('--install')) return ['install', ...args.slice(1).filter((arg) => arg !== '--install'), '--dry-run=client'];
  return args;
}

/** The MANIFEST part of a dry-run's output (between `MANIFEST:` and `NOTES:`). */
const manifestOf = (output: string) => output.replace(/^[\s\S]*?\nMANIFEST:\n/, '').replace(/\nNOTES:\n[\s\S]*$/, '');

function cleanCopy(root: string): string {
  const copy = mkdtempSync(join(tmpdir(), 'arch-clean-clone-'));
  const files = execFileSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8' }).split('\0').filter(Boolean);
  for (const file of files) {
    mkdirSync(dirname(join(copy, file)), { recursive: true });
    cpSync(join(root, file), join(copy, file), { verbatimSymlinks: true });
  }
  return copy;
}

export function standaloneCheck(root: string, services: readonly string[]): { ok: boolean; detail: string } {
  const commands = readmeHelmCommands(readFileSync(join(root, 'README.md'), 'utf8'));
  if (commands.length === 0) return { ok: false, detail: 'README.md has no helm commands in a ```sh block after "Without skaffold"' };
  const copy = cleanCopy(root);
  const lines: string[] = [];
  let ok = true;
  try {
    for (const service of services) {
      for (const command of commands) {
        const line = command.replaceAll('<service>', service);
        const result = runHelm(offlineHelmArgs(line), copy);
        const rendered = result.status === 0 && command.includes('install') ? parseManifests(manifestOf(result.stdout)).length : undefined;
        const passed = result.status === 0 && rendered !== 0;
        ok &&= passed;
        lines.push(`${passed ? 'ok' : 'FAILED'} ${line}${rendered !== undefined ? ` (${rendered} objects)` : ''}${passed ? '' : `: ${helmNoise(result.stderr).trim().split('\n').slice(-2).join(' ')}`}`);
      }
    }
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
  return { ok, detail: lines.join('\n') };
}
