// Every bad command line is refused with a message naming the problem and exit status 2.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import t from 'tap';
import { root } from '../../../postman/test/newman.ts';

const loadtest = (...args: string[]) =>
  spawnSync(process.execPath, ['--conditions=development', join(root, 'packages/load/src/cli.ts'), ...args], { cwd: root, encoding: 'utf8', timeout: 30_000 });

const refused: [string[], RegExp][] = [
  [[], /usage: pnpm loadtest <command>/],
  [['hammer'], /unknown command "hammer"/],
  [['stress', '--rps', '30'], /--rps must be between 5 and 20 \(got 30\)/],
  [['stress', '--rps', 'ten'], /--rps must be an integer \(got "ten"\)/],
  [['stress', '--duration=-1'], /--duration must be between 0 and/],
  [['stress', '--base-url', 'nowhere'], /--base-url must be a URL \(got "nowhere"\)/],
  [['stress', '--rsp', '10'], /Unknown option '--rsp'/],
  [['stress', '--out'], /--out.*argument missing|Option '--out <value>' argument missing/],
  [['scenario', 'checkout'], /the one scenario is "products"/],
  [['scenario', 'products', '--users', '0'], /--users must be between 1 and 2000/],
  [['compare-cache', '--steps', '1,x'], /--steps must be a comma-separated list of positive integers/],
  [['volume', '--database', '1M=arch'], /--database must be COUNT=NAME/],
  [['volume', '--cache', 'maybe'], /--cache must be on or off/],
  [['report'], /--in is required/],
];

for (const [args, message] of refused) {
  t.test(`loadtest ${args.join(' ') || '(nothing)'}: exit 2`, async (t) => {
    const result = loadtest(...args);
    t.equal(result.status, 2, result.stderr);
    t.match(result.stderr + result.stdout, message);
  });
}

t.test('loadtest help and a command\'s --help answer 0', async (t) => {
  for (const args of [['help'], ['stress', '--help'], ['scenario', '--help'], ['compare-cache', '--help'], ['volume', '--help'], ['report', '--help']]) {
    const result = loadtest(...args);
    t.equal(result.status, 0, `${args.join(' ')}: ${result.stderr}`);
    t.match(result.stdout, /--|usage/);
  }
});
