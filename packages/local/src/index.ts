export * from './routes.ts';
export * from './gateway.ts';
export * from './services.ts';
export * from './stack.ts';
