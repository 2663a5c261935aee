import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { eventually } from '../src/testing/index.ts';

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
