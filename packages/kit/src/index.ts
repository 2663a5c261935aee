export * from './config.ts';
export * from './errors.ts';
export * from './validation.ts';
export * from './server.ts';
export * from './db.ts';
export * from './migrate.ts';
export * from './run.ts';
export * from './cache.ts';
export { Type, type Static } from 'typebox';
