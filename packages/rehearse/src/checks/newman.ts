// The newman collections with their environment, baseUrl set to the edge (arch.homework resolves to it).
import { describeFailures, runCollection } from '../../../../postman/test/newman.ts';

export async function newmanCheck(collection: string, baseUrl: string): Promise<{ ok: boolean; detail: string }> {
  const { summary } = await runCollection(`${collection}.postman_collection.json`, baseUrl);
  const { stats } = summary.run;
  const failures = describeFailures(summary);
  return {
    ok: summary.run.failures.length === 0 && (stats.requests.total ?? 0) > 0,
    detail: failures || `${stats.requests.total} requests, ${stats.assertions.total} assertions, no failures`,
  };
}
