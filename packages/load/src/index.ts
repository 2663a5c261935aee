// @arch/load: the pieces of `pnpm loadtest`, for tests and for other tools.
export * from './stats.ts';
export * from './stress.ts';
export * from './scenario.ts';
export * from './steps.ts';
export * from './report.ts';
export { main } from './cli.ts';
