#!/usr/bin/env node
// Runs a command with Node >= 24 first on PATH. Where the current Node is older, Node 24 is
// installed once under .tools/ from the npm registry (the node-<os>-<arch> packages), since
// the registry is often the only place a machine can reach.
// usage: node scripts/node24.mjs <command> [args...]
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const WANTED_MAJOR = 24;
const root = dirname(dirname(fileURLToPath(import.meta.url)));

function nodeBinDir() {
  if (Number(process.versions.node.split('.')[0]) >= WANTED_MAJOR) return dirname(process.execPath);
  const os = process.platform === 'win32' ? 'win' : process.platform;
  const pkg = `node-${os}-${process.arch}`;
  const home = join(root, '.tools', `node-${WANTED_MAJOR}`);
  const bin = join(home, 'bin');
  if (existsSync(join(bin, 'node'))) return bin;
  process.stderr.write(`node24: Node ${process.versions.node} is older than ${WANTED_MAJOR}; installing ${pkg}@${WANTED_MAJOR} from the npm registry into .tools/\n`);
  const work = mkdtempSync(join(tmpdir(), 'node24-'));
  try {
    const tgz = execFileSync('npm', ['pack', '--silent', `${pkg}@${WANTED_MAJOR}`], { cwd: work, encoding: 'utf8' }).trim().split('\n').pop();
    execFileSync('tar', ['-xzf', join(work, tgz), '-C', work]);
    mkdirSync(dirname(home), { recursive: true });
    rmSync(home, { recursive: true, force: true });
    renameSync(join(work, 'package'), home);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  if (!existsSync(join(bin, 'node'))) throw new Error(`node24: ${pkg} did not contain bin/node`);
  return bin;
}

const [command, ...args] = process.argv.slice(2);
if (!command) {
  process.stderr.write('usage: node scripts/node24.mjs <command> [args...]\n');
  process.exit(2);
}
const bin = nodeBinDir();
const child = spawn(command === 'node' ? join(bin, 'node') : command, args, {
  stdio: 'inherit',
  env: { ...process.env, PATH: `${bin}${delimiter}${process.env.PATH ?? ''}` },
});
// A terminal's Ctrl-C reaches the whole process group; a SIGTERM sent to this launcher alone is passed on.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
child.on('error', (err) => {
  process.stderr.write(`node24: cannot run ${command}: ${err.message}\n`);
  process.exit(127);
});
child.on('exit', (code, signal) => process.exit(code ?? 128 + (constants.signals[signal] ?? 1)));
