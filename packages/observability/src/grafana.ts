/**
 * A small typed model of the Grafana dashboard JSON this project ships (schemaVersion 39: rows,
 * timeseries and stat panels, Prometheus targets, query and data source variables), and the
 * builders the dashboards are written with. Panels are laid out left to right, row by row.
 */
import { prometheusDatasourceUid } from './contract.ts';

export const SCHEMA_VERSION = 39;

export interface DatasourceRef {
  type: 'prometheus';
  uid: string;
}

/** Panels and variables use the dashboard's data source variable, which defaults to kube-prometheus-stack's. */
export const datasource: DatasourceRef = { type: 'prometheus', uid: '${datasource}' };

export interface Target {
  refId: string;
  datasource: DatasourceRef;
  expr: string;
  legendFormat: string;
  range: boolean;
  instant: boolean;
  editorMode: 'code';
}

export interface ThresholdStep {
  color: string;
  value: number | null;
}

export interface FieldDefaults {
  unit: string;
  min?: number;
  max?: number;
  decimals?: number;
  color: { mode: 'palette-classic' | 'thresholds' };
  thresholds: { mode: 'absolute'; steps: ThresholdStep[] };
  custom?: Record<string, unknown>;
}

export interface GridPos {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface Panel {
  id: number;
  type: 'timeseries' | 'stat';
  title: string;
  description: string;
  datasource: DatasourceRef;
  gridPos: GridPos;
  fieldConfig: { defaults: FieldDefaults; overrides: unknown[] };
  options: Record<string, unknown>;
  targets: Target[];
}

export interface RowPanel {
  id: number;
  type: 'row';
  title: string;
  collapsed: boolean;
  gridPos: GridPos;
  panels: Panel[];
}

export interface QueryVariable {
  type: 'query';
  name: string;
  label: string;
  description: string;
  datasource: DatasourceRef;
  definition: string;
  query: { query: string; refId: string };
  regex: string;
  refresh: 2;
  sort: 1;
  hide: 0;
  includeAll: boolean;
  multi: boolean;
  allValue?: string;
  /** Opens at All where offered, else at the first value Grafana finds. */
  current: { selected: true; text: string[]; value: string[] } | Record<string, never>;
  options: never[];
}

export interface DatasourceVariable {
  type: 'datasource';
  name: 'datasource';
  label: string;
  query: 'prometheus';
  regex: string;
  refresh: 1;
  hide: 0;
  includeAll: false;
  multi: false;
  current: { selected: boolean; text: string; value: string };
  options: never[];
}

export type Variable = QueryVariable | DatasourceVariable;

export interface Dashboard {
  uid: string;
  title: string;
  description: string;
  tags: string[];
  timezone: 'browser';
  editable: boolean;
  graphTooltip: 1;
  schemaVersion: number;
  version: 1;
  refresh: string;
  time: { from: string; to: string };
  fiscalYearStartMonth: 0;
  liveNow: false;
  weekStart: '';
  annotations: { list: unknown[] };
  links: unknown[];
  templating: { list: Variable[] };
  panels: Array<Panel | RowPanel>;
}

// ---- targets ----

export interface TargetSpec {
  expr: string;
  legend: string;
}

export const q = (expr: string, legend = ''): TargetSpec => ({ expr, legend });

// ---- panels ----

export interface PanelSpec {
  kind: 'timeseries' | 'stat';
  title: string;
  description: string;
  unit: string;
  targets: TargetSpec[];
  /** Grid width out of 24. */
  width: number;
  height?: number;
  min?: number;
  max?: number;
  decimals?: number;
  /** Steps above the base colour: [[value, colour], ...]; drawn as dashed lines on time series. */
  thresholds?: Array<[number, string]>;
  /** Base colour below the first threshold (default green). */
  baseColor?: string;
  /** Stat panels: the colour scheme follows the thresholds. */
  stacked?: boolean;
  axisLabel?: string;
}

export const timeseries = (spec: Omit<PanelSpec, 'kind'>): PanelSpec => ({ kind: 'timeseries', ...spec });
export const stat = (spec: Omit<PanelSpec, 'kind'>): PanelSpec => ({ kind: 'stat', height: 4, ...spec });

export interface RowSpec {
  title: string;
  panels: PanelSpec[];
}

export const row = (title: string, panels: PanelSpec[]): RowSpec => ({ title, panels });

function toPanel(spec: PanelSpec, id: number, gridPos: GridPos): Panel {
  const steps: ThresholdStep[] = [
    { color: spec.baseColor ?? 'green', value: null },
    ...(spec.thresholds ?? []).map(([value, color]) => ({ color, value })),
  ];
  const defaults: FieldDefaults = {
    unit: spec.unit,
    ...(spec.min !== undefined ? { min: spec.min } : {}),
    ...(spec.max !== undefined ? { max: spec.max } : {}),
    ...(spec.decimals !== undefined ? { decimals: spec.decimals } : {}),
    color: { mode: spec.kind === 'stat' ? 'thresholds' : 'palette-classic' },
    thresholds: { mode: 'absolute', steps },
  };
  if (spec.kind === 'timeseries') {
    defaults.custom = {
      drawStyle: 'line',
      lineWidth: 1,
      fillOpacity: spec.stacked ? 25 : 8,
      gradientMode: 'none',
      showPoints: 'never',
      spanNulls: false,
      axisLabel: spec.axisLabel ?? '',
      stacking: { mode: spec.stacked ? 'normal' : 'none', group: 'A' },
      thresholdsStyle: { mode: spec.thresholds?.length ? 'dashed' : 'off' },
    };
  }
  const options =
    spec.kind === 'stat'
      ? {
          reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
          colorMode: 'background',
          graphMode: 'area',
          justifyMode: 'auto',
          orientation: 'auto',
          textMode: 'auto',
        }
      : {
          legend: { showLegend: true, displayMode: 'table', placement: 'bottom', calcs: ['mean', 'max', 'lastNotNull'] },
          tooltip: { mode: 'multi', sort: 'desc' },
        };
  return {
    id,
    type: spec.kind,
    title: spec.title,
    description: spec.description,
    datasource,
    gridPos,
    fieldConfig: { defaults, overrides: [] },
    options,
    targets: spec.targets.map((target, index) => ({
      refId: String.fromCharCode(65 + index),
      datasource,
      expr: target.expr,
      legendFormat: target.legend,
      range: spec.kind === 'timeseries',
      instant: spec.kind === 'stat',
      editorMode: 'code',
    })),
  };
}

/** Lays rows out on Grafana's 24-column grid; every row starts expanded. */
export function layout(rows: RowSpec[]): Array<Panel | RowPanel> {
  const panels: Array<Panel | RowPanel> = [];
  let id = 1;
  let y = 0;
  for (const spec of rows) {
    panels.push({ id: id++, type: 'row', title: spec.title, collapsed: false, gridPos: { x: 0, y, w: 24, h: 1 }, panels: [] });
    y += 1;
    let x = 0;
    let lineHeight = 0;
    for (const panel of spec.panels) {
      const h = panel.height ?? 8;
      if (x + panel.width > 24) {
        y += lineHeight;
        x = 0;
        lineHeight = 0;
      }
      panels.push(toPanel(panel, id++, { x, y, w: panel.width, h }));
      x += panel.width;
      lineHeight = Math.max(lineHeight, h);
    }
    y += lineHeight;
  }
  return panels;
}

// ---- variables ----

export const datasourceVariable = (): DatasourceVariable => ({
  type: 'datasource',
  name: 'datasource',
  label: 'Data source',
  query: 'prometheus',
  regex: '',
  refresh: 1,
  hide: 0,
  includeAll: false,
  multi: false,
  current: { selected: false, text: 'Prometheus', value: prometheusDatasourceUid },
  options: [],
});

export interface VariableSpec {
  name: string;
  label: string;
  description: string;
  /** `label_values(<series selector>, <label>)` */
  query: string;
  /** Grafana regex (`/…/`) that filters the values. */
  regex?: string;
  /** Offer "All" (and multi-select). */
  all?: boolean;
  /** What "All" means; unset: the alternation of every listed value (so the regex filter holds). */
  allValue?: string;
}

export const variable = (spec: VariableSpec): QueryVariable => ({
  type: 'query',
  name: spec.name,
  label: spec.label,
  description: spec.description,
  datasource,
  definition: spec.query,
  query: { query: spec.query, refId: 'PrometheusVariableQueryEditor-VariableQuery' },
  regex: spec.regex ?? '',
  refresh: 2,
  sort: 1,
  hide: 0,
  includeAll: spec.all ?? false,
  multi: spec.all ?? false,
  ...(spec.allValue !== undefined ? { allValue: spec.allValue } : {}),
  current: spec.all ? { selected: true, text: ['All'], value: ['$__all'] } : {},
  options: [],
});

export interface DashboardSpec {
  uid: string;
  title: string;
  description: string;
  tags: string[];
  variables: QueryVariable[];
  rows: RowSpec[];
}

export function dashboard(spec: DashboardSpec): Dashboard {
  return {
    uid: spec.uid,
    title: spec.title,
    description: spec.description,
    tags: spec.tags,
    timezone: 'browser',
    editable: true,
    graphTooltip: 1,
    schemaVersion: SCHEMA_VERSION,
    version: 1,
    refresh: '30s',
    time: { from: 'now-1h', to: 'now' },
    fiscalYearStartMonth: 0,
    liveNow: false,
    weekStart: '',
    annotations: {
      list: [
        {
          builtIn: 1,
          datasource: { type: 'grafana', uid: '-- Grafana --' },
          enable: true,
          hide: true,
          iconColor: 'rgba(0, 211, 255, 1)',
          name: 'Annotations & Alerts',
          type: 'dashboard',
        },
      ],
    },
    links: [
      { title: 'arch dashboards', type: 'dashboards', tags: ['arch'], asDropdown: true, includeVars: true, keepTime: true, icon: 'external link', targetBlank: false, tooltip: '', url: '' },
    ],
    templating: { list: [datasourceVariable(), ...spec.variables] },
    panels: layout(spec.rows),
  };
}

/** Every Prometheus target of a dashboard, with the title of its panel. */
export function dashboardTargets(board: Dashboard): Array<{ panel: Panel; target: Target }> {
  const found: Array<{ panel: Panel; target: Target }> = [];
  const visit = (panel: Panel | RowPanel) => {
    if (panel.type === 'row') panel.panels.forEach(visit);
    else for (const target of panel.targets) found.push({ panel, target });
  };
  board.panels.forEach(visit);
  return found;
}
