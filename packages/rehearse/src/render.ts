// Each release rendered as skaffold's helm deployer would install it: the values files and --set
// values of skaffold.yaml, the chart's file:// subcharts built (in a private copy of charts/).
import { join } from 'node:path';
import { chartWorkspace, helmNoise, parseManifests, runHelm, type ChartWorkspace } from '../../../charts/test/lib/helm.ts';
import type { K8sObject } from './objects.ts';
import type { SkaffoldRelease } from './skaffold.ts';

export interface RenderedRelease {
  release: SkaffoldRelease;
  objects: K8sObject[];
}

export function helmTemplateArgs(release: SkaffoldRelease, chartDir: string, root: string): string[] {
  return [
    'template',
    release.name,
    chartDir,
    '--namespace',
    release.namespace,
    '--include-crds',
    '--is-upgrade=false',
    ...release.valuesFiles.flatMap((file) => ['--values', join(root, file)]),
    ...Object.entries({ ...release.setValues, ...release.setValueTemplates }).flatMap(([key, value]) => ['--set', `${key}=${value}`]),
  ];
}

/** Renders every release; the objects keep helm's namespace (or the release's). */
export function renderReleases(releases: readonly SkaffoldRelease[], root: string): { rendered: RenderedRelease[]; workspace: ChartWorkspace } {
  const workspace = chartWorkspace();
  try {
    const rendered = releases.map((release) => {
      const chart = release.chartPath.replace(/^charts\//, '');
      const result = runHelm(helmTemplateArgs(release, workspace.chartDir(chart), root), workspace.root);
      if (result.status !== 0) throw new Error(`helm template ${release.name} failed: ${helmNoise(result.stderr)}`);
      const objects = parseManifests(result.stdout).map((object) => ({ ...object, metadata: { ...object.metadata, namespace: object.metadata.namespace ?? release.namespace } }));
      return { release, objects };
    });
    return { rendered, workspace };
  } catch (err) {
    workspace.close();
    throw err;
  }
}
