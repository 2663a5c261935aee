// reports/rehearsal.json: every check with its verdict and why, and how long each part took.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

export class Report {
  readonly checks: Check[] = [];
  readonly durations: Record<string, number> = {};
  /** What a reader needs besides the verdicts, such as the memory in use. */
  readonly notes: string[] = [];
  private readonly started = Date.now();

  add(name: string, ok: boolean, detail: string): Check {
    const check = { name, ok, detail };
    this.checks.push(check);
    process.stdout.write(`${ok ? 'PASS' : 'FAIL'} ${name}: ${detail.split('\n')[0]}\n`);
    return check;
  }

  /** Runs `part`, recording its seconds under `name`. */
  async time<T>(name: string, part: () => Promise<T>): Promise<T> {
    const started = Date.now();
    try {
      return await part();
    } finally {
      this.durations[name] = Math.round((Date.now() - started) / 100) / 10;
      process.stdout.write(`  ${name}: ${this.durations[name]} s\n`);
    }
  }

  /** Runs a check: its result, or its exception as a failure. */
  async check(name: string, run: () => Promise<{ ok: boolean; detail: string }>): Promise<boolean> {
    try {
      const result = await this.time(name, run);
      return this.add(name, result.ok, result.detail).ok;
    } catch (err) {
      return this.add(name, false, (err as Error).stack ?? String(err)).ok;
    }
  }

  note(line: string): void {
    this.notes.push(line);
    process.stdout.write(`  note: ${line}\n`);
  }

  get ok(): boolean {
    return this.checks.length > 0 && this.checks.every((check) => check.ok);
  }

  write(file: string): void {
    this.durations.total = Math.round((Date.now() - this.started) / 100) / 10;
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${JSON.stringify({ checks: this.checks, durations: this.durations, notes: this.notes }, null, 2)}\n`);
  }
}
