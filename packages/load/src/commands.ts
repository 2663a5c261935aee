import { UsageError } from './args.ts';
export async function scenarioCommand(_args: string[]): Promise<void> { throw new UsageError('not yet'); }
export async function compareCacheCommand(_args: string[]): Promise<void> { throw new UsageError('not yet'); }
export async function volumeCommand(_args: string[]): Promise<void> { throw new UsageError('not yet'); }
export async function reportCommand(_args: string[]): Promise<void> { throw new UsageError('not yet'); }
