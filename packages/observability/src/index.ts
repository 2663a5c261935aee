export * from './contract.ts';
export * from './grafana.ts';
export * from './dashboards.ts';
export * from './alerts.ts';
export * from './generate.ts';
export * from './sources.ts';
export * from './template.ts';
