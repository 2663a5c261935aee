// pnpm rehearse [--profile default|stress ...]: what `skaffold run` (and `-p stress`) installs, run on
// this machine, checked, and written to reports/rehearsal.json.
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rehearse } from './rehearsal.ts';
import { Report } from './report.ts';
import { reexecWithOwnHosts } from './selfhosts.ts';
import { defaultChecks, stressChecks } from './suite.ts';

const root = resolve(fileURLToPath(import.meta.url), '../../../..');

async function main(): Promise<number> {
  const outside = reexecWithOwnHosts(join(tmpdir(), `arch-rehearse-hosts-${process.pid}`));
  if (outside) return outside;
  const args = process.argv.slice(2);
  const only = args.flatMap((arg, index) => (arg === '--profile' || arg === '-p' ? [args[index + 1] ?? ''] : []));
  const profiles = only.length ? only : ['default', 'stress'];
  const report = new Report();
  const logDir = join(root, 'reports', 'rehearsal');
  for (const profile of profiles) {
    if (profile === 'default') await rehearse({ root, profiles: [], report, logDir }, (rehearsed) => defaultChecks(rehearsed, report));
    else if (profile === 'stress') await rehearse({ root, profiles: ['stress'], report, logDir }, (rehearsed) => stressChecks(rehearsed, report));
    else throw new Error(`unknown profile ${profile}: default or stress`);
  }
  const file = join(root, 'reports', 'rehearsal.json');
  report.write(file);
  const failed = report.checks.filter((check) => !check.ok);
  process.stdout.write(`\n${report.checks.length - failed.length}/${report.checks.length} checks passed in ${report.durations.total} s; ${file}; logs in ${logDir}\n`);
  return failed.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stderr.write(`rehearse: ${err.stack ?? err.message}\n`);
    process.exit(1);
  },
);
