/**
 * Writes charts/<chart>/README.md for every chart of the platform from what the chart already says:
 * Chart.yaml (description, versions, kubeVersion, dependencies), the prose at the top of values.yaml,
 * and the `# -- ` comment above each value (the helm-docs convention), which becomes a row of the
 * values table with the value's type and default. The service charts' install commands are the
 * README's own "Without skaffold" block with the chart's name in it, so both say the same thing.
 * charts/test/charts.test.ts fails when a committed README differs from what this writes, and when
 * a value is documented neither by its own comment nor by one of its parents'.
 *
 * usage: pnpm charts:docs
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMap, isScalar, parse, parseDocument, type Node, type YAMLMap } from 'yaml';

const repoRoot = dirname(dirname(fileURLToPath(import.meta.url)));
const chartsDir = join(repoRoot, 'charts');

interface ChartYaml {
  name: string;
  description: string;
  type?: 'application' | 'library';
  version: string;
  appVersion?: string;
  kubeVersion?: string;
  maintainers?: { name: string; email?: string; url?: string }[];
  dependencies?: { name: string; version: string; repository: string; condition?: string; alias?: string }[];
}

export interface ValueDoc {
  key: string;
  type: string;
  default: unknown;
  description: string;
}

/** Every chart directory (one with a Chart.yaml). */
export const chartNames = (): string[] =>
  readdirSync(chartsDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && readdirSync(join(chartsDir, entry.name)).includes('Chart.yaml'))
    .map((entry) => entry.name)
    .sort();

const readChart = (chart: string) => parse(readFileSync(join(chartsDir, chart, 'Chart.yaml'), 'utf8')) as ChartYaml;

/** The lines of README.md's fenced block after the line that starts `Without skaffold`. */
export function standaloneBlock(readme: string): string[] {
  const start = readme.search(/^Without skaffold/m);
  if (start === -1) return [];
  const block = /```sh\n([\s\S]*?)```/.exec(readme.slice(start))?.[1] ?? '';
  return block.split('\n').filter((line) => line.trim() !== '');
}

/** The text of a `# -- ` comment block (yaml gives comments without their `#`), or undefined. */
function describedBy(comment: string | null | undefined): string | undefined {
  if (!comment) return undefined;
  const lines = comment.split('\n');
  const start = lines.findLastIndex((line) => line.trimStart().startsWith('-- '));
  if (start === -1) return undefined;
  return lines
    .slice(start)
    .map((line, i) => (i === 0 ? line.trimStart().slice(3) : line).trim())
    .join(' ')
    .trim();
}

const typeOf = (value: unknown): string =>
  Array.isArray(value) ? 'list' : value === null ? 'null' : typeof value === 'object' ? 'object' : typeof value === 'number' ? (Number.isInteger(value) ? 'int' : 'float') : typeof value === 'boolean' ? 'bool' : 'string';

/**
 * The documented values of a values.yaml, in file order, and the leaves that nothing documents. yaml
 * attaches the comment above a map's first key to the map itself, so that comment is the first key's.
 */
export function valueDocs(valuesYaml: string): { docs: ValueDoc[]; undocumented: string[]; header: string } {
  const doc = parseDocument(valuesYaml);
  const docs: ValueDoc[] = [];
  const undocumented: string[] = [];
  const walk = (map: YAMLMap, prefix: string, covered: boolean) => {
    map.items.forEach((pair, index) => {
      const keyNode = pair.key as Node;
      const key = `${prefix}${isScalar(keyNode) ? String(keyNode.value) : String(keyNode)}`;
      const comment = keyNode.commentBefore ?? (index === 0 ? map.commentBefore : undefined);
      const description = describedBy(comment);
      const value = pair.value as Node | null;
      const plain: unknown = value && 'toJSON' in value ? value.toJSON() : null;
      if (description !== undefined) docs.push({ key, type: typeOf(plain), default: plain, description });
      if (isMap(value) && value.items.length > 0) walk(value, `${key}.`, covered || description !== undefined);
      else if (description === undefined && !covered) undocumented.push(key);
    });
  };
  if (isMap(doc.contents)) walk(doc.contents, '', false);
  // the file's opening prose: the comment paragraphs above the first value, up to its `# -- ` line
  const first = isMap(doc.contents) ? (doc.contents.items[0]?.key as Node | undefined) : undefined;
  const opening = (doc.commentBefore ?? first?.commentBefore ?? doc.comment ?? '').split(/\n\s*\n/);
  const header = opening
    .filter((paragraph) => describedBy(paragraph) === undefined)
    .map((paragraph) => paragraph.split('\n').map((line) => line.trim()).join(' '))
    .join('\n\n');
  return { docs, undocumented, header };
}

/** Markdown text: `<release>` would otherwise be read as an HTML tag. */
const prose = (text: string) => text.replaceAll('<', '&lt;').replaceAll('>', '&gt;');
const cell = (text: string) => prose(text).replaceAll('|', '\\|').replaceAll('\n', ' ');
const defaultCell = (value: unknown) => (value === '' ? '`""`' : `\`${cell(JSON.stringify(value))}\``);

/** The charts whose Chart.yaml depends on this one. */
const dependents = (chart: string) => chartNames().filter((other) => readChart(other).dependencies?.some((dep) => dep.name === chart));

function installSection(chart: ChartYaml, hasRoutes: boolean, readme: string): string[] {
  if (chart.type === 'library') return ['## Use', '', `A library chart: ${dependents(chart.name).map((name) => `[${name}](../${name})`).join(', ')} include its named templates (\`templates/_*.tpl\`).`, ''];
  const parents = dependents(chart.name);
  if (parents.length > 0) {
    return ['## Use', '', `A subchart: ${parents.map((name) => `[${name}](../${name})`).join(', ')} install it, configured under the key \`${chart.name}\` of their values (\`${chart.name}.enabled=false\` to use an external one instead).`, ''];
  }
  if (!hasRoutes) return [];
  const block = standaloneBlock(readme).map((line) => line.replace(/\s+#.*$/, '').replaceAll('<service>', chart.name));
  return [
    '## Install',
    '',
    'From the repository root, with the image built into minikube (`skaffold run` does all three charts at once; see the [README](../../README.md)):',
    '',
    '```sh',
    ...block,
    `helm test ${chart.name} -n arch`,
    '```',
    '',
  ];
}

/** The README.md of one chart. */
export function renderChartReadme(chart: string, readme = readFileSync(join(repoRoot, 'README.md'), 'utf8')): string {
  const meta = readChart(chart);
  const { docs, header } = valueDocs(readFileSync(join(chartsDir, chart, 'values.yaml'), 'utf8'));
  const hasRoutes = docs.some((value) => value.key === 'ingress.routes');
  const facts = [
    ['Chart version', meta.version],
    ...(meta.appVersion ? [['App version', meta.appVersion]] : []),
    ['Type', meta.type ?? 'application'],
    ...(meta.kubeVersion ? [['Kubernetes', `\`${meta.kubeVersion}\``]] : []),
    ...(meta.maintainers?.length ? [['Maintainers', meta.maintainers.map((m) => m.name).join(', ')]] : []),
  ];
  const lines = [
    `# ${meta.name}`,
    '',
    `${prose(meta.description)}.`,
    '',
    ...(header ? [prose(header), ''] : []),
    '| | |',
    '|---|---|',
    ...facts.map(([name, value]) => `| ${name} | ${value} |`),
    '',
    ...installSection(meta, hasRoutes, readme),
  ];
  if (meta.dependencies?.length) {
    lines.push('## Dependencies', '', '| Chart | Version | Repository | Installed when |', '|---|---|---|---|');
    for (const dep of meta.dependencies) lines.push(`| ${dep.alias ?? dep.name} | ${dep.version} | \`${dep.repository}\` | ${dep.condition ? `\`${dep.condition}\`` : 'always'} |`);
    lines.push('');
  }
  if (docs.length > 0) {
    lines.push('## Values', '', 'Written from the `# -- ` comments of [values.yaml](values.yaml) by `pnpm charts:docs`; [values.schema.json](values.schema.json) checks them at install.', '');
    lines.push('| Key | Type | Default | Description |', '|---|---|---|---|');
    for (const value of docs) lines.push(`| \`${value.key}\` | ${value.type} | ${defaultCell(value.default)} | ${cell(value.description)} |`);
    lines.push('');
  }
  return `${lines.join('\n')}`;
}

export const readmePath = (chart: string) => join(chartsDir, chart, 'README.md');

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const chart of chartNames()) {
    const { undocumented } = valueDocs(readFileSync(join(chartsDir, chart, 'values.yaml'), 'utf8'));
    if (undocumented.length > 0) process.stderr.write(`${chart}: no "# -- " comment for ${undocumented.join(', ')}\n`);
    writeFileSync(readmePath(chart), renderChartReadme(chart));
    process.stdout.write(`wrote ${readmePath(chart)}\n`);
  }
}
