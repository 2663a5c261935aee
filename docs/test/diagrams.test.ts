// The pictures under docs/diagrams/ are what `pnpm diagrams` draws from their text sources, and README shows them.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { onPath } from '@arch/kit/testing';
import { diagramsDir, draw, sequenceToDot, sources, svgOf } from '../../scripts/diagrams.ts';

const missing = onPath('dot') && onPath('neato') ? undefined : 'graphviz (dot, neato) is not installed';
// off CI a machine without graphviz skips the drawing, saying how to get it; under CI it must run
const skip = missing && process.env.CI !== 'true' ? `${missing}: apt-get install -y graphviz` : false;

t.test('every committed picture is what its source draws', { skip }, async (t) => {
  if (missing) return t.fail(`${missing}: .ci/run installs graphviz`);
  t.same(sources(), ['architecture.dot', 'signup.seq'], 'the architecture and the registration/login/profile sequence');
  for (const file of sources()) {
    const committed = join(diagramsDir, svgOf(file));
    t.ok(existsSync(committed), `${svgOf(file)} is committed`);
    t.equal(existsSync(committed) ? readFileSync(committed, 'utf8') : '', draw(file), `${svgOf(file)} is up to date (pnpm diagrams)`);
  }
});

t.test('README shows each picture', async (t) => {
  const readme = readFileSync(join(diagramsDir, '..', '..', 'README.md'), 'utf8');
  for (const file of sources()) t.match(readme, `](docs/diagrams/${svgOf(file)})`, svgOf(file));
});

t.test('a sequence source with a mistake is refused, naming the line', async (t) => {
  const head = 'participants: a "A", b "B"\n';
  t.throws(() => sequenceToDot(`${head}a -> c: hello`, 'x.seq'), { message: 'x.seq:2: c is not a participant' });
  t.throws(() => sequenceToDot(`${head}a => b: hello`, 'x.seq'), { message: /^x\.seq:2: expected "from -> to: label"/ });
  t.throws(() => sequenceToDot('participants: a A\na -> a: x', 'x.seq'), { message: /^x\.seq:1: a participant is an id and a "label"/ });
  t.throws(() => sequenceToDot(head, 'x.seq'), { message: 'x.seq: needs participants and messages' });
  const dot = sequenceToDot(`${head}a -> b: ask\nb --> a: "answer"`, 'x.seq');
  t.match(dot, /m0a -> m0b \[style=solid/, 'a message is a solid arrow');
  t.match(dot, /m1a -> m1b \[style=dashed/, 'a reply a dashed one');
  t.match(dot, /label="2\. \\"answer\\""/, 'labels are numbered and quoted');
});
