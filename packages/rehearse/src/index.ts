export * from './skaffold.ts';
export * from './env.ts';
export * from './policy.ts';
export * from './hooks.ts';
export * from './images.ts';
export * from './objects.ts';
export * from './departures.ts';
