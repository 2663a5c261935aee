/**
 * Draws the pictures under docs/diagrams/ with graphviz (Debian's `graphviz`): every `<name>.dot`
 * becomes `<name>.svg` as it is (`dot`); every `<name>.seq` (a sequence diagram: participants, then
 * one message per line) becomes a graph with fixed positions (sequenceToDot), drawn by `neato -n2`.
 * docs/test/diagrams.test.ts fails when a committed SVG differs from what this draws.
 *
 * usage: pnpm diagrams
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const diagramsDir = join(dirname(dirname(fileURLToPath(import.meta.url))), 'docs', 'diagrams');

interface Message {
  from: string;
  to: string;
  label: string;
  reply: boolean;
}

const quote = (text: string) => JSON.stringify(text);

/**
 * A sequence diagram as a graph with fixed positions (drawn by `neato -n2`): a lifeline per
 * participant, one row per message, each message an arrow between two lifelines with its label above.
 */
export function sequenceToDot(source: string, where = 'sequence'): string {
  let title = '';
  const participants: { id: string; label: string }[] = [];
  const messages: Message[] = [];
  source.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const at = `${where}:${index + 1}`;
    if (line.startsWith('title:')) {
      title = line.slice('title:'.length).trim();
      return;
    }
    if (line.startsWith('participants:')) {
      for (const part of line.slice('participants:'.length).split(',')) {
        const match = /^\s*([a-z][a-z0-9]*)\s+"([^"]+)"\s*$/.exec(part);
        if (!match) throw new Error(`${at}: a participant is an id and a "label", got ${JSON.stringify(part.trim())}`);
        participants.push({ id: match[1]!, label: match[2]! });
      }
      return;
    }
    const match = /^([a-z][a-z0-9]*)\s+(-->|->)\s+([a-z][a-z0-9]*):\s*(.+)$/.exec(line);
    if (!match) throw new Error(`${at}: expected "from -> to: label" or "from --> to: label", got ${JSON.stringify(line)}`);
    const [, from, arrow, to, label] = match as unknown as [string, string, string, string, string];
    for (const id of [from, to]) if (!participants.some((p) => p.id === id)) throw new Error(`${at}: ${id} is not a participant`);
    if (from === to) throw new Error(`${at}: a message goes from one participant to another`);
    messages.push({ from, to, label, reply: arrow === '-->' });
  });
  if (participants.length < 2 || messages.length === 0) throw new Error(`${where}: needs participants and messages`);

  // positions in points, y upwards (graphviz): the header at the top, a row per message below it
  const [column, row, top] = [190, 30, 40 + 30 * (messages.length + 1)];
  const x = (p: number) => 100 + p * column;
  const bottom = top - row * (messages.length + 1);
  const out = [
    'digraph sequence {',
    `  graph [fontname="Helvetica", fontsize=12, label=${quote(title)}, labelloc=t, splines=line, pad=0.3];`,
    '  node [fontname="Helvetica", fontsize=10];',
    '  edge [fontname="Helvetica", fontsize=9];',
  ];
  const box = '[shape=box, style="rounded,filled", fillcolor="#eef3fb", color="#5b7bb2", width=2.3, height=0.4';
  participants.forEach((participant, p) => {
    out.push(`  head${p} ${box}, label=${quote(participant.label)}, pos="${x(p)},${top + row}!"];`);
    out.push(`  foot${p} ${box}, label=${quote(participant.label)}, pos="${x(p)},${bottom - row}!"];`);
    out.push(`  head${p} -> foot${p} [style=dashed, color="#9aa9c7", arrowhead=none];`);
  });
  messages.forEach((message, i) => {
    const [from, to] = [participants.findIndex((p) => p.id === message.from), participants.findIndex((p) => p.id === message.to)];
    const y = top - row * (i + 1);
    const color = message.reply ? '#4f8a55' : '#333333';
    out.push(`  m${i}a [shape=point, width=0.02, color=${quote(color)}, pos="${x(from)},${y}!"];`);
    out.push(`  m${i}b [shape=point, width=0.02, color=${quote(color)}, pos="${x(to)},${y}!"];`);
    out.push(`  m${i}a -> m${i}b [style=${message.reply ? 'dashed' : 'solid'}, color=${quote(color)}];`);
    out.push(`  m${i}t [shape=plaintext, fontsize=9, fontcolor=${quote(color)}, height=0.15, label=${quote(`${i + 1}. ${message.label}`)}, pos="${(x(from) + x(to)) / 2},${y + 9}!"];`);
  });
  out.push('}');
  return `${out.join('\n')}\n`;
}

/** The SVG of a .dot or .seq file under docs/diagrams/. */
export function draw(file: string): string {
  const source = readFileSync(join(diagramsDir, file), 'utf8');
  if (file.endsWith('.seq')) return execFileSync('neato', ['-n2', '-Tsvg'], { input: sequenceToDot(source, file), encoding: 'utf8' });
  return execFileSync('dot', ['-Tsvg'], { input: source, encoding: 'utf8' });
}

export const sources = () => readdirSync(diagramsDir).filter((file) => /\.(dot|seq)$/.test(file)).sort();
export const svgOf = (file: string) => file.replace(/\.(dot|seq)$/, '.svg');

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const file of sources()) {
    writeFileSync(join(diagramsDir, svgOf(file)), draw(file));
    process.stdout.write(`wrote docs/diagrams/${svgOf(file)}\n`);
  }
}
