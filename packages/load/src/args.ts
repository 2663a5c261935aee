// Command-line flags of `pnpm loadtest`: node:util parseArgs, and every bad flag is a UsageError
// (the CLI prints it with the usage and exits 2).
import { parseArgs, type ParseArgsConfig } from 'node:util';

export class UsageError extends Error {}

type Options = NonNullable<ParseArgsConfig['options']>;

/** Parses `args` strictly: unknown flags, missing values and stray arguments are UsageErrors. */
export function parseFlags<T extends Options>(args: string[], options: T): Record<keyof T, string | boolean | undefined> {
  try {
    const { values } = parseArgs({ args, options, strict: true, allowPositionals: false });
    return values as unknown as Record<keyof T, string | boolean | undefined>;
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message.replace(/\. To specify a positional argument.*$/s, '') : String(err));
  }
}

export function text(value: string | boolean | undefined, flag: string, fallback?: string): string {
  if (value === undefined) {
    if (fallback === undefined) throw new UsageError(`--${flag} is required`);
    return fallback;
  }
  if (typeof value !== 'string' || value === '') throw new UsageError(`--${flag} needs a value`);
  return value;
}

export function optionalText(value: string | boolean | undefined, flag: string): string | undefined {
  return value === undefined ? undefined : text(value, flag);
}

export function number(value: string | boolean | undefined, flag: string, fallback: number, { min = 0, max = Number.POSITIVE_INFINITY, integer = false } = {}): number {
  if (value === undefined) return fallback;
  const parsed = typeof value === 'string' && value.trim() !== '' ? Number(value) : Number.NaN;
  if (!Number.isFinite(parsed) || (integer && !Number.isInteger(parsed))) throw new UsageError(`--${flag} must be ${integer ? 'an integer' : 'a number'} (got ${JSON.stringify(value)})`);
  if (parsed < min || parsed > max) throw new UsageError(`--${flag} must be between ${min} and ${max} (got ${parsed})`);
  return parsed;
}

/** A comma-separated list of positive integers, e.g. --steps 5,10,20. */
export function integers(value: string | boolean | undefined, flag: string, fallback: number[]): number[] {
  if (value === undefined) return fallback;
  const items = text(value, flag).split(',').map((item) => Number(item.trim()));
  if (items.length === 0 || items.some((item) => !Number.isInteger(item) || item < 1)) throw new UsageError(`--${flag} must be a comma-separated list of positive integers (got ${JSON.stringify(value)})`);
  return items;
}

export function url(value: string | boolean | undefined, flag: string, fallback?: string): string {
  const given = text(value, flag, fallback);
  try {
    const parsed = new URL(given);
    if (!/^(https?|postgres|postgresql|redis):$/.test(parsed.protocol)) throw new Error('protocol');
    return given;
  } catch {
    throw new UsageError(`--${flag} must be a URL (got ${JSON.stringify(given)})`);
  }
}
