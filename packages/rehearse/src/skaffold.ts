// What `skaffold run [-p profile]` installs: the helm releases of skaffold.yaml after the profiles'
// JSON patches, with the image templates filled in as skaffold fills them for a local build.
import { readFileSync } from 'node:fs';
import fastJsonPatch, { type Operation } from 'fast-json-patch';
import { parse } from 'yaml';

export interface SkaffoldRelease {
  name: string;
  chartPath: string;
  namespace: string;
  valuesFiles: string[];
  /** `--set key=value` (typed, as skaffold passes setValues). */
  setValues: Record<string, string>;
  /** setValueTemplates, filled. */
  setValueTemplates: Record<string, string>;
}

export interface SkaffoldConfig {
  build?: { artifacts?: Array<{ image: string; docker?: { dockerfile?: string } }> };
  deploy?: { helm?: { releases?: Array<Record<string, unknown>> } };
  profiles?: Array<{ name: string; patches?: Operation[] }>;
}

export interface SkaffoldPlan {
  releases: SkaffoldRelease[];
  /** image name → Dockerfile path, from build.artifacts */
  images: Map<string, string>;
}

/** The config with the named profiles' patches applied in order; an unknown profile is an error. */
export function applyProfiles(config: SkaffoldConfig, profiles: readonly string[]): SkaffoldConfig {
  let patched = structuredClone(config);
  for (const name of profiles) {
    const profile = config.profiles?.find((candidate) => candidate.name === name);
    if (!profile) throw new Error(`skaffold.yaml has no profile ${name} (has: ${(config.profiles ?? []).map((p) => p.name).join(', ')})`);
    // validate: a patch whose path is missing fails here as it fails in skaffold
    patched = fastJsonPatch.applyPatch(patched, profile.patches ?? [], true, false).newDocument;
  }
  return patched;
}

/** skaffold's template variables for an image: IMAGE_REPO_x / IMAGE_TAG_x with x the image name, `-` and `.` as `_`. */
export function imageTemplateValues(images: readonly string[], tag: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const image of images) {
    const key = image.replace(/[^A-Za-z0-9]/g, '_');
    values[`IMAGE_REPO_${key}`] = image;
    values[`IMAGE_TAG_${key}`] = tag;
    values[`IMAGE_FULLY_QUALIFIED_${key}`] = `${image}:${tag}`;
  }
  return values;
}

/** Fills `{{.NAME}}` placeholders; an unknown one is an error, as in skaffold. */
export function fillTemplate(template: string, values: Record<string, string>): string {
  return template.replace(/\{\{\s*\.(\w+)\s*\}\}/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`skaffold template {{.${name}}} has no value`);
    return value;
  });
}

const stringMap = (value: unknown): Record<string, string> =>
  Object.fromEntries(Object.entries((value ?? {}) as Record<string, unknown>).map(([key, item]) => [key, String(item)]));

export function planFromConfig(config: SkaffoldConfig, profiles: readonly string[], tag: string): SkaffoldPlan {
  const patched = applyProfiles(config, profiles);
  const artifacts = patched.build?.artifacts ?? [];
  const templateValues = imageTemplateValues(artifacts.map((artifact) => artifact.image), tag);
  const releases = (patched.deploy?.helm?.releases ?? []).map((release) => ({
    name: String(release.name),
    chartPath: String(release.chartPath),
    namespace: String(release.namespace ?? 'default'),
    valuesFiles: ((release.valuesFiles ?? []) as unknown[]).map(String),
    setValues: stringMap(release.setValues),
    setValueTemplates: Object.fromEntries(Object.entries(stringMap(release.setValueTemplates)).map(([key, value]) => [key, fillTemplate(value, templateValues)])),
  }));
  return { releases, images: new Map(artifacts.map((artifact) => [artifact.image, artifact.docker?.dockerfile ?? 'Dockerfile'])) };
}

export function loadSkaffold(file: string, profiles: readonly string[], tag: string): SkaffoldPlan {
  return planFromConfig(parse(readFileSync(file, 'utf8')) as SkaffoldConfig, profiles, tag);
}
