// `pnpm bench [name…]`: runs bench/<name>.bench.ts (all of them by default) one after another and
// prints each table with its ratios and targets. Exits non-zero only when a bench fails to run:
// missed targets are reported, not hidden, and not treated as crashes.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { printSection, root, type Bench } from './lib.ts';

const wanted = process.argv.slice(2);
const files = readdirSync(join(root, 'bench'))
  .filter((file) => file.endsWith('.bench.ts'))
  .filter((file) => wanted.length === 0 || wanted.includes(file.replace(/\.bench\.ts$/, '')))
  .sort();
if (files.length === 0) {
  process.stderr.write(`no bench named ${wanted.join(', ')}\n`);
  process.exit(2);
}
process.stdout.write(`# pnpm bench — ${new Date().toISOString()}, Node ${process.versions.node}, ${files.length} bench(es)\n`);
let missed = 0;
for (const file of files) {
  const bench = (await import(pathToFileURL(join(root, 'bench', file)).href)).default as Bench;
  process.stdout.write(`\n… ${bench.title}\n`);
  const section = await bench.run();
  printSection(section);
  missed += section.targets.filter((t) => !t.pass).length;
}
process.stdout.write(`\n${missed === 0 ? 'every target met' : `${missed} target(s) missed`}\n`);
