// How the load tools watch each autocannon connection. autocannon reports latency and failures per
// connection (`setupClient`), but not which request of a flow they belong to, and it reconnects at
// once after a refused connection (a busy loop while the target restarts). Both are settled here, on
// autocannon 9's Client, in one place.
import type autocannon from 'autocannon';
import type { Recorder } from './stats.ts';

/** What each flow keeps in autocannon's per-connection context. */
export interface FlowContext {
  /** The endpoint ("METHOD /route") of the request on the wire. */
  inFlight?: string;
  /** Statuses that request may answer without being an error. */
  expected?: number[];
}

/** The parts of autocannon 9's Client (lib/httpClient.js) used here. */
interface ClientInternals {
  destroyed: boolean;
  requestIterator: { context: FlowContext };
  _connect(): void;
  on(event: 'connError' | 'timeout', listener: () => void): unknown;
}

export interface WatchOptions {
  recorder: Recorder;
  /** Least time between connection attempts after a failed one, per connection. */
  reconnectDelayMs: number;
  /** Called when a request got no response, after it was recorded (the scenario moves on). */
  onFailure?: (context: FlowContext) => void;
}

/** Why an answer counts as an error (a 5xx, or a status the request may not answer), or undefined. */
export function errorOf(status: number, expected?: readonly number[]): string | undefined {
  if (status >= 500) return `status ${status}`;
  return expected && !expected.includes(status) ? `unexpected status ${status}` : undefined;
}

/** A `setupClient` for autocannon: records every response and failure by endpoint; backs off reconnects. */
export function watchClient(options: WatchOptions): (client: autocannon.Client) => void {
  return (client) => {
    const internals = client as unknown as ClientInternals;
    const context = () => internals.requestIterator.context;
    client.on('response', (status: number, _bytes: number, latencyMs: number) => {
      const { inFlight = 'unknown', expected } = context();
      options.recorder.response(inFlight, latencyMs, errorOf(status, expected));
    });
    let failedAt = 0;
    const fail = (kind: 'connection' | 'timeout') => {
      options.recorder.failure(context().inFlight ?? 'unknown', kind);
      options.onFailure?.(context());
    };
    internals.on('connError', () => {
      failedAt = Date.now();
      fail('connection');
    });
    internals.on('timeout', () => fail('timeout'));

    const connect = internals._connect.bind(internals);
    let scheduled = false;
    internals._connect = () => {
      const wait = failedAt + options.reconnectDelayMs - Date.now();
      if (wait <= 0) return connect();
      if (scheduled) return; // a write to the dead socket fails again: one attempt is enough
      scheduled = true;
      setTimeout(() => {
        scheduled = false;
        if (!internals.destroyed) connect();
      }, wait).unref();
    };
  };
}
