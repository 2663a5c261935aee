// The checks run against each rehearsed install.
import { newmanCheck } from './checks/newman.ts';
import type { Rehearsed } from './rehearsal.ts';
import type { Report } from './report.ts';

export async function defaultChecks(rehearsed: Rehearsed, report: Report): Promise<void> {
  for (const collection of ['users', 'auth', 'products']) await report.check(`newman-${collection}`, () => newmanCheck(collection, rehearsed.baseUrl));
}

export async function stressChecks(_rehearsed: Rehearsed, _report: Report): Promise<void> {}
