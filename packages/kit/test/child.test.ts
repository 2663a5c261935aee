import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { eventually, freePort } from '../src/testing/index.ts';

const fixture = fileURLToPath(new URL('./fixtures/spawn-parent.ts', import.meta.url));
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

t.test('a child started with spawnChild does not outlive its parent, even a parent killed with SIGKILL', { skip: process.platform !== 'linux' && 'the kernel tie (PR_SET_PDEATHSIG) is Linux only' }, async (t) => {
  const parent = spawn(process.execPath, ['--conditions=development', fixture], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => parent.kill('SIGKILL'));
  const [line] = (await once(parent.stdout, 'data')) as [Buffer];
  const childPid = Number(line.toString().trim());
  t.ok(childPid > 0 && alive(childPid), `the child runs (pid ${childPid})`);
  t.teardown(() => alive(childPid) && process.kill(childPid, 'SIGKILL'));

  parent.kill('SIGKILL');
  await once(parent, 'exit');
  t.ok(await eventually(async () => !alive(childPid), 5000), 'the child is gone once its parent is');
});

t.test('freePort: ports below the ephemeral range, never the same twice, noted for the other test processes', async (t) => {
  const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
  const ports = await Promise.all(Array.from({ length: 40 }, () => freePort()));
  t.equal(new Set(ports).size, ports.length, 'all different');
  t.ok(ports.every((port) => port >= 20_000 && port < low), `all below ${low}, where no outgoing connection takes them`);
  t.ok(ports.every((port) => readFileSync(join(tmpdir(), 'arch-test-ports', String(port)), 'utf8') === String(process.pid)), 'each noted as this process’s');
});
