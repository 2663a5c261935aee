// `pnpm loadtest scenario products`: the realistic search profile. Each virtual user looks for 1–20
// products in turn: it searches a random product word; while more than 10 products come back it adds
// a word taken from one of the results and searches again; with 1–10 it opens one of them; with none
// it moves on to the next product. Users ramp up at a given rate to a given count; one who is done
// leaves and a new one takes the place. Every user is one autocannon connection.
import autocannon from 'autocannon';
import { watchClient, type FlowContext } from './clients.ts';
import { discoverWords, parseSearch, wordsOf, type Target } from './http.ts';
import { Recorder, type IntervalSample, type Summary } from './stats.ts';

export const SEARCH = 'GET /products/search';
export const PRODUCT = 'GET /products/{id}';
/** More results than this and the user narrows the search with another word. */
export const REFINE_ABOVE = 10;
/** The search refuses more than 8 words. */
const MAX_WORDS = 8;

export interface UserRequest {
  endpoint: typeof SEARCH | typeof PRODUCT;
  path: string;
}

/** What all users did, for the report. */
export interface ScenarioCounters {
  users: number;
  /** Products looked for (cycles). */
  cycles: number;
  /** Cycles that ended on a product page. */
  found: number;
  /** Cycles whose search came back empty. */
  notFound: number;
  /** Cycles that ended on an error or no answer. */
  failed: number;
  /** Searches answered. */
  searches: number;
  refinements: number;
  /** Searches by their X-Cache answer (HIT, MISS, BYPASS). */
  cache: Record<string, number>;
}

export const emptyCounters = (): ScenarioCounters => ({ users: 0, cycles: 0, found: 0, notFound: 0, failed: 0, searches: 0, refinements: 0, cache: {} });

/** One virtual user's decisions; no I/O, so the rules are tested with a fake server. */
export class SearchUser {
  private query: string[] = [];
  private pending: UserRequest | undefined;
  private cyclesLeft: number;
  private finished = false;
  private readonly words: readonly string[];
  private readonly counters: ScenarioCounters;
  private readonly random: () => number;

  constructor(words: readonly string[], cycles: number, counters: ScenarioCounters = emptyCounters(), random: () => number = Math.random) {
    if (words.length === 0) throw new Error('a user needs words to search');
    this.words = words;
    this.counters = counters;
    this.random = random;
    this.cyclesLeft = cycles;
    counters.users += 1;
  }

  get done(): boolean {
    return this.finished;
  }

  private choose<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)]!;
  }

  private search(): UserRequest {
    return { endpoint: SEARCH, path: `/products/search?q=${encodeURIComponent(this.query.join(' '))}` };
  }

  /** The next request, or undefined once the user has looked for all its products. */
  next(): UserRequest | undefined {
    if (this.finished) return undefined;
    if (!this.pending) {
      if (this.cyclesLeft <= 0) {
        this.finished = true;
        return undefined;
      }
      this.cyclesLeft -= 1;
      this.counters.cycles += 1;
      this.query = [this.choose(this.words)];
      this.pending = this.search();
    }
    return this.pending;
  }

  private endCycle(outcome: 'found' | 'notFound' | 'failed'): void {
    this.counters[outcome] += 1;
    this.pending = undefined;
    this.query = [];
  }

  /** The answer to the request `next()` gave. */
  handle(status: number, body: string, cacheHeader?: string): void {
    const request = this.pending;
    if (!request) return;
    if (request.endpoint === SEARCH) {
      this.counters.searches += 1;
      if (cacheHeader) this.counters.cache[cacheHeader] = (this.counters.cache[cacheHeader] ?? 0) + 1;
    }
    if (request.endpoint === PRODUCT) return this.endCycle(status === 200 ? 'found' : 'failed');
    const answer = status === 200 ? parseSearch(body) : undefined;
    if (!answer) return this.endCycle('failed');
    if (answer.total === 0 || answer.items.length === 0) return this.endCycle('notFound');
    if (answer.total > REFINE_ABOVE && this.query.length < MAX_WORDS) {
      // a word of one of the results that the query does not have yet
      const candidates = answer.items.flatMap((item) => wordsOf(item.name)).filter((word) => !this.query.includes(word));
      if (candidates.length > 0) {
        this.query.push(this.choose(candidates));
        this.counters.refinements += 1;
        this.pending = this.search();
        return;
      }
    }
    const product = this.choose(answer.items);
    this.pending = { endpoint: PRODUCT, path: `/products/${product.id}` };
  }

  /** The request got no answer (refused, reset, timed out): on to the next product. */
  fail(): void {
    if (this.pending) this.endCycle('failed');
  }
}

export interface ScenarioOptions extends Target {
  /** Users at full strength. */
  users: number;
  /** Users started per second until there are `users`. */
  rampPerSecond: number;
  durationSeconds: number;
  /** Requests per second of each user (0: the next right after each answer). */
  userRate: number;
  /** Products each user looks for: a random whole number in this range. */
  cycles: [number, number];
  intervalSeconds: number;
  timeoutSeconds?: number;
  /** Search words (default: words of the catalogue's product names, read at start). */
  words?: string[];
  onInterval?: (sample: IntervalSample) => void;
  stopSignal?: Promise<void>;
}

export interface ScenarioResult {
  summary: Summary;
  timeline: IntervalSample[];
  counters: ScenarioCounters;
}

/** The parts of autocannon 9's Client used to end a user's connection after its last answer. */
interface FinishingClient {
  reqsMade: number;
  responseMax: number | undefined;
}

export async function runScenario(options: ScenarioOptions): Promise<ScenarioResult> {
  const words = options.words ?? (await discoverWords(options)).words;
  const recorder = new Recorder();
  const counters = emptyCounters();
  const running = new Set<Promise<void>>();
  const instances = new Set<autocannon.Instance>();
  let stopping = false;
  // users allowed now: one more per 1/rampPerSecond s up to `users`; a user who is done is replaced at once
  let allowed = 1;
  let active = 0;
  const fill = () => {
    while (!stopping && active < allowed) startUser();
  };

  const startUser = () => {
    const [least, most] = options.cycles;
    const user = new SearchUser(words, least + Math.floor(Math.random() * (most - least + 1)), counters);
    let client: FinishingClient | undefined;
    let left = false;
    const leave = () => {
      if (left) return;
      left = true;
      active -= 1;
      setImmediate(fill);
    };
    // autocannon ends a connection that has made responseMax requests, before it sends another
    const finishIfDone = () => {
      if (!user.done || !client) return;
      client.responseMax = client.reqsMade;
      leave();
    };
    active += 1;
    const request: autocannon.Request = {
      method: 'GET',
      path: '/',
      setupRequest: ((req: autocannon.Request, raw: object) => {
        const context = raw as FlowContext;
        const next = user.next() ?? { endpoint: SEARCH, path: '/products/search?q=done' }; // never sent: the connection ends first
        context.inFlight = next.endpoint;
        context.expected = [200];
        return { ...req, method: 'GET', path: next.path, headers: { ...(req.headers as Record<string, string> | undefined), accept: 'application/json', ...(options.host ? { host: options.host } : {}) } };
      }) as (req: autocannon.Request, context: object) => autocannon.Request,
      onResponse: (status: number, body: string, _context: object, headers: autocannon.Request['headers']) => {
        const cache = headers?.['x-cache'] ?? headers?.['X-Cache'];
        user.handle(status, body, typeof cache === 'string' ? cache.toUpperCase() : undefined);
        user.next();
        finishIfDone();
      },
    };
    const watch = watchClient({
      recorder,
      reconnectDelayMs: 1000,
      onFailure: () => {
        user.fail();
        user.next();
        finishIfDone();
      },
    });
    const finished = new Promise<void>((resolve) => {
      const instance = autocannon(
        {
          url: options.baseUrl,
          connections: 1,
          duration: Math.max(options.durationSeconds, 1) + 60,
          timeout: options.timeoutSeconds ?? 10,
          ...(options.userRate > 0 ? { connectionRate: options.userRate } : {}),
          requests: [request],
          setupClient: (created) => {
            client = created as unknown as FinishingClient;
            watch(created);
          },
        },
        () => {
          instances.delete(instance);
          leave();
          resolve();
        },
      );
      instances.add(instance);
    });
    running.add(finished);
    void finished.then(() => running.delete(finished));
  };

  const ramp = setInterval(() => {
    allowed = Math.min(allowed + 1, options.users);
    fill();
  }, 1000 / options.rampPerSecond);
  fill();
  const ticker = setInterval(() => {
    const sample = recorder.sample(active);
    options.onInterval?.(sample);
  }, options.intervalSeconds * 1000);

  await Promise.race([new Promise((resolve) => setTimeout(resolve, options.durationSeconds * 1000)), options.stopSignal ?? new Promise(() => {})]);
  stopping = true;
  clearInterval(ramp);
  recorder.stop();
  for (const instance of instances) instance.stop();
  await Promise.all(running);
  clearInterval(ticker);
  return { summary: recorder.summary(), timeline: recorder.timeline, counters };
}
