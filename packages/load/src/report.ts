// Reports of the load runs: Markdown (tables, for a pull request or docs/) and one self-contained
// HTML page with charts drawn by Chart.js, whose UMD build is inlined from node_modules (the page
// opens offline, from a file or a CI artifact).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import type { ScenarioCounters, ScenarioResult } from './scenario.ts';
import type { IntervalSample, Summary } from './stats.ts';
import type { SteppedRun } from './steps.ts';

export interface Machine {
  cores: number;
  cpu: string;
  node: string;
  /** 1-minute load average before the run: what else the machine was doing. */
  loadAverage: number;
}

export const thisMachine = (): Machine => ({
  cores: cpus().length,
  cpu: cpus()[0]?.model ?? 'unknown',
  node: process.version,
  loadAverage: Math.round((loadavg()[0] ?? 0) * 100) / 100,
});

/** What a command writes as JSON, and what `report` reads back. */
export type Run =
  | { kind: 'scenario'; createdAt: string; machine: Machine; settings: Record<string, unknown>; result: ScenarioResult }
  | { kind: 'compare-cache' | 'volume'; createdAt: string; machine: Machine; settings: Record<string, unknown>; runs: SteppedRun[] };

const titles: Record<Run['kind'], string> = {
  scenario: 'Scenario: product search',
  'compare-cache': 'Cache on and off: where the search degrades',
  volume: 'Data volume: the same at 10k, 100k and 1M products',
};

const fmt = (value: number, digits = 1) => (Number.isFinite(value) ? value.toFixed(digits) : '–');

function summaryTable(summary: Summary): string[] {
  return [
    '| endpoint | requests | errors | p50 ms | p95 ms | p99 ms | max ms |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...Object.entries(summary.byEndpoint).map(([name, s]) => `| \`${name}\` | ${s.count} | ${s.errors} | ${fmt(s.p50)} | ${fmt(s.p95)} | ${fmt(s.p99)} | ${fmt(s.max)} |`),
    `| **all** | ${summary.requests} | ${summary.errors} | ${fmt(summary.latency.p50)} | ${fmt(summary.latency.p95)} | ${fmt(summary.latency.p99)} | ${fmt(summary.latency.max)} |`,
  ];
}

const hitRatio = (counters: ScenarioCounters) => {
  const hits = counters.cache.HIT ?? 0;
  const all = Object.values(counters.cache).reduce((sum, n) => sum + n, 0);
  return all === 0 ? '–' : `${Math.round((hits / all) * 100)}%`;
};

function stepsTable(run: SteppedRun): string[] {
  const peak = run.steps.reduce<SteppedRun['steps'][number] | undefined>((best, step) => (!best || step.rps > best.rps ? step : best), undefined);
  return [
    `**${run.label}**: ${run.maximum ? `held up to ${run.maximum.users} users at ${fmt(run.maximum.rps, 0)} req/s (p95 ${fmt(run.maximum.p95)} ms)` : 'did not hold even the first step'}; ` +
      (run.degradation
        ? `degraded at ${run.degradation.users} users: ${fmt(run.degradation.rps, 0)} req/s, p95 ${fmt(run.degradation.p95)} ms, ${run.degradation.errors} errors`
        : 'no degradation within the steps') +
      (peak ? `; most throughput ${fmt(peak.rps, 0)} req/s at ${peak.users} users.` : '.'),
    '',
    '| users | req/s | p50 ms | p95 ms | p99 ms | max ms | errors | searches per product | cache hits | CPU service | CPU postgres (its db) | CPU redis (all) | CPU load gen. | CPU machine |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...run.steps.map(
      (s) =>
        `| ${s.users}${s.degraded ? ' ⚠' : ''} | ${fmt(s.rps, 0)} | ${fmt(s.p50)} | ${fmt(s.p95)} | ${fmt(s.p99)} | ${fmt(s.max)} | ${s.errors} | ${fmt(s.counters.searches / Math.max(s.counters.cycles, 1), 2)} | ${hitRatio(s.counters)} | ${fmt(s.cpu.service, 2)} | ${fmt(s.cpu.postgres, 2)} | ${fmt(s.cpu.redis, 2)} | ${fmt(s.cpu.loadGenerator, 2)} | ${fmt(s.cpu.machine, 2)}/${s.cpu.cores} |`,
    ),
  ];
}

/** Markdown for one or more runs; `prose` (the conclusions) goes first when given. */
export function markdown(runs: Run[], title = 'Load report', prose = ''): string {
  const lines = [`# ${title}`, ''];
  if (prose) lines.push(prose.trim(), '');
  for (const run of runs) {
    lines.push(`## ${titles[run.kind]}`, '');
    lines.push(
      `${run.createdAt}, ${run.machine.cores} × ${run.machine.cpu}, Node ${run.machine.node}, load average ${run.machine.loadAverage} before the run. ` +
        `Settings: ${Object.entries(run.settings).map(([key, value]) => `${key} \`${typeof value === 'string' ? value : JSON.stringify(value)}\``).join(', ')}.`,
      '',
    );
    if (run.kind === 'scenario') {
      const { summary, counters } = run.result;
      lines.push(
        `${summary.rps} req/s over ${summary.durationSeconds} s; ${counters.users} users looked for ${counters.cycles} products: ${counters.found} opened, ${counters.notFound} not found, ${counters.failed} failed; ` +
          `${counters.searches} searches, ${counters.refinements} of them refinements; cache hits ${hitRatio(counters)}.`,
        '',
        ...summaryTable(summary),
        '',
      );
    }
    if (run.kind === 'compare-cache' || run.kind === 'volume') for (const stepped of run.runs) lines.push(...stepsTable(stepped), '');
  }
  return `${lines.join('\n').trim()}\n`;
}

interface Chart {
  title: string;
  type: 'line';
  labels: (string | number)[];
  xTitle: string;
  datasets: { label: string; data: (number | null)[]; axis: 'ms' | 'rps' | 'count'; dashed?: boolean }[];
}

function timelineChart(title: string, timeline: IntervalSample[]): Chart {
  return {
    title,
    type: 'line',
    labels: timeline.map((s) => s.t),
    xTitle: 'seconds',
    datasets: [
      { label: 'p50 ms', data: timeline.map((s) => s.p50), axis: 'ms' },
      { label: 'p95 ms', data: timeline.map((s) => s.p95), axis: 'ms' },
      { label: 'p99 ms', data: timeline.map((s) => s.p99), axis: 'ms' },
      { label: 'req/s', data: timeline.map((s) => s.rps), axis: 'rps', dashed: true },
      { label: 'errors', data: timeline.map((s) => s.errors), axis: 'rps', dashed: true },
    ],
  };
}

function steppedCharts(kind: string, runs: SteppedRun[]): Chart[] {
  const users = [...new Set(runs.flatMap((run) => run.steps.map((step) => step.users)))].sort((a, b) => a - b);
  const at = (run: SteppedRun, pick: (step: SteppedRun['steps'][number]) => number) => users.map((u) => {
    const step = run.steps.find((s) => s.users === u);
    return step ? pick(step) : null;
  });
  return [
    {
      title: `${kind}: throughput by users`,
      type: 'line',
      labels: users,
      xTitle: 'concurrent users',
      datasets: runs.map((run) => ({ label: `${run.label} req/s`, data: at(run, (s) => s.rps), axis: 'rps' as const })),
    },
    {
      title: `${kind}: latency by users`,
      type: 'line',
      labels: users,
      xTitle: 'concurrent users',
      datasets: runs.flatMap((run) => [
        { label: `${run.label} p95 ms`, data: at(run, (s) => s.p95), axis: 'ms' as const },
        { label: `${run.label} p99 ms`, data: at(run, (s) => s.p99), axis: 'ms' as const, dashed: true },
      ]),
    },
    ...runs.map((run) => timelineChart(`${kind}, ${run.label}: over time (users step up)`, run.steps.flatMap((step) => step.timeline))),
  ];
}

export function chartsOf(runs: Run[]): Chart[] {
  return runs.flatMap((run) => {
    if (run.kind === 'scenario') return [timelineChart('scenario: over time', run.result.timeline)];
    return steppedCharts(run.kind === 'compare-cache' ? 'cache on vs off' : 'volume', run.runs);
  });
}

function chartJs(): string {
  const require = createRequire(import.meta.url);
  return readFileSync(join(dirname(require.resolve('chart.js')), 'chart.umd.min.js'), 'utf8');
}

const escapeHtml = (text: string) => text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] ?? c);

/** A minimal Markdown to HTML for the report's own Markdown: headings, tables, paragraphs, lists, code, bold. */
export function markdownToHtml(md: string): string {
  const inline = (text: string) =>
    escapeHtml(text)
      .replace(/`([^`]+)`/g, '<code>$1</code>')
      .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>')
      .replace(/\[([^\]]+)\]\(([^)]+)\)/g, '<a href="$2">$1</a>');
  const out: string[] = [];
  const blocks = md.split(/\n{2,}/);
  for (const block of blocks) {
    const lines = block.split('\n');
    const heading = /^(#{1,4}) (.*)$/.exec(block);
    if (heading && lines.length === 1) out.push(`<h${heading[1]!.length}>${inline(heading[2]!)}</h${heading[1]!.length}>`);
    else if (lines.every((line) => line.startsWith('|'))) {
      const cells = (line: string) => line.slice(1, -1).split('|').map((cell) => cell.trim());
      const [head, , ...rows] = lines;
      out.push(
        `<table><thead><tr>${cells(head ?? '').map((c) => `<th>${inline(c)}</th>`).join('')}</tr></thead><tbody>${rows.map((row) => `<tr>${cells(row).map((c) => `<td>${inline(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`,
      );
    } else if (lines.every((line) => /^(- |\s{2,})/.test(line))) {
      const items = block.split(/\n(?=- )/).map((item) => item.replace(/^- /, '').replace(/\n\s+/g, ' '));
      out.push(`<ul>${items.map((item) => `<li>${inline(item)}</li>`).join('')}</ul>`);
    } else if (block.startsWith('```')) out.push(`<pre>${escapeHtml(lines.slice(1, -1).join('\n'))}</pre>`);
    else out.push(`<p>${inline(lines.join(' '))}</p>`);
  }
  return out.join('\n');
}

export function html(runs: Run[], title = 'Load report', prose = ''): string {
  const charts = chartsOf(runs);
  const body = markdownToHtml(markdown(runs, title, prose));
  // the data as JSON inside a script: `<` escaped so that no string can end the script element
  const data = JSON.stringify(charts).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
  body { font: 15px/1.5 system-ui, sans-serif; max-width: 1100px; margin: 2rem auto; padding: 0 1rem; color: #222; }
  table { border-collapse: collapse; margin: 1rem 0; font-size: 13px; }
  th, td { border: 1px solid #ccc; padding: 2px 6px; text-align: right; }
  th:first-child, td:first-child { text-align: left; }
  code { background: #f3f3f3; padding: 0 3px; }
  .chart { margin: 1.5rem 0; height: 340px; }
</style>
</head>
<body>
<section id="charts"></section>
${body}
<script>${chartJs()}</script>
<script>
const charts = ${data};
const section = document.getElementById('charts');
const heading = document.createElement('h2');
heading.textContent = 'Charts';
section.appendChild(heading);
for (const chart of charts) {
  const box = document.createElement('div');
  box.className = 'chart';
  const canvas = document.createElement('canvas');
  box.appendChild(canvas);
  section.appendChild(box);
  const axes = new Set(chart.datasets.map((d) => d.axis));
  new Chart(canvas, {
    type: chart.type,
    data: { labels: chart.labels, datasets: chart.datasets.map((d) => ({ label: d.label, data: d.data, yAxisID: d.axis, borderDash: d.dashed ? [6, 4] : [], spanGaps: true, pointRadius: 2, borderWidth: 2 })) },
    options: {
      maintainAspectRatio: false,
      animation: false,
      plugins: { title: { display: true, text: chart.title } },
      scales: {
        x: { title: { display: true, text: chart.xTitle } },
        ...(axes.has('ms') ? { ms: { position: 'left', beginAtZero: true, title: { display: true, text: 'latency, ms' } } } : {}),
        ...(axes.has('rps') ? { rps: { position: axes.has('ms') ? 'right' : 'left', beginAtZero: true, grid: { drawOnChartArea: !axes.has('ms') }, title: { display: true, text: 'requests/s (errors per interval)' } } } : {}),
      },
    },
  });
}
</script>
</body>
</html>
`;
}
