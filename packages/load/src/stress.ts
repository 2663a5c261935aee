// `pnpm loadtest stress`: a constant arrival rate over every public API method of the three
// services. Requests are sent at fixed times (an open model): a slow answer does not delay the next
// arrival, so the rate holds while the target is slower than a second per request. Each client goes
// through the whole flow with its own account: register, log in, create, read, update and delete its
// own profile, health, search, open a product the search found, the JWKS, log out; then again with a
// new account. An arrival goes to a client that is waiting for its turn; when every client is busy, a
// new one joins, up to the --connections bound (then arrivals wait for a client and the rate drops).
import { Agent } from 'node:http';
import { randomBytes } from 'node:crypto';
import { errorOf, type FlowContext } from './clients.ts';
import { discoverWords, exchange, NoAnswer, parseSearch, pick, type Target } from './http.ts';
import { Recorder, type IntervalSample, type Summary } from './stats.ts';

interface StressContext extends FlowContext {
  username?: string;
  password?: string;
  token?: string;
  userId?: number;
  profileCreated?: boolean;
  productId?: number;
}

interface Built {
  path: string;
  body?: unknown;
  auth?: boolean;
}

/** One request of the flow. `build` returns undefined when what it needs is missing: the flow starts over. */
export interface FlowStep {
  endpoint: string;
  expected: number[];
  build(context: StressContext, vocabulary: Vocabulary): Built | undefined;
  onResponse?(status: number, body: string, context: StressContext): void;
}

export interface Vocabulary {
  words: string[];
  productIds: number[];
}

const json = (body: string): unknown => {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
};
const field = (body: string, name: string): unknown => {
  const parsed = json(body);
  return parsed && typeof parsed === 'object' ? Reflect.get(parsed, name) : undefined;
};

const userPath = (context: StressContext) => (context.userId && context.profileCreated ? `/otusapp/user/${context.userId}` : undefined);

/** The flow, in order. Every public method of app, auth and product is in it. */
export const flow: FlowStep[] = [
  {
    endpoint: 'POST /auth/register',
    expected: [201],
    build(context) {
      const tag = randomBytes(6).toString('hex');
      context.username = `load_${tag}`;
      context.password = `Load-${randomBytes(9).toString('base64url')}7`;
      return { path: '/auth/register', body: { username: context.username, password: context.password, email: `${context.username}@load.example.com` } };
    },
    onResponse(status, _body, context) {
      if (status !== 201) context.username = undefined;
    },
  },
  {
    endpoint: 'POST /auth/login',
    expected: [200],
    build: (context) => (context.username ? { path: '/auth/login', body: { username: context.username, password: context.password } } : undefined),
    onResponse(status, body, context) {
      if (status !== 200) return;
      const token = field(body, 'accessToken');
      const userId = Number(field(body, 'userId'));
      if (typeof token === 'string' && Number.isSafeInteger(userId)) {
        context.token = token;
        context.userId = userId;
      }
    },
  },
  {
    endpoint: 'POST /otusapp/user',
    expected: [201],
    build: (context) =>
      context.token
        ? { path: '/otusapp/user', auth: true, body: { username: context.username, email: `${context.username}@load.example.com`, firstName: 'Load', lastName: 'Test', phone: '+15551234567' } }
        : undefined,
    onResponse(status, _body, context) {
      context.profileCreated = status === 201;
    },
  },
  {
    endpoint: 'GET /otusapp/user/{id}',
    expected: [200],
    build: (context) => {
      const path = userPath(context);
      return path ? { path, auth: true } : undefined;
    },
  },
  {
    endpoint: 'PUT /otusapp/user/{id}',
    expected: [200],
    build: (context) => {
      const path = userPath(context);
      return path ? { path, auth: true, body: { firstName: 'Loaded', lastName: 'Again' } } : undefined;
    },
  },
  {
    endpoint: 'DELETE /otusapp/user/{id}',
    expected: [204],
    build: (context) => {
      const path = userPath(context);
      return path ? { path, auth: true } : undefined;
    },
  },
  { endpoint: 'GET /otusapp/health', expected: [200], build: () => ({ path: '/otusapp/health' }) },
  {
    endpoint: 'GET /products/search',
    expected: [200],
    build: (_context, vocabulary) => ({ path: `/products/search?q=${encodeURIComponent(pick(vocabulary.words))}` }),
    onResponse(status, body, context) {
      const found = status === 200 ? parseSearch(body) : undefined;
      context.productId = found && found.items.length > 0 ? pick(found.items).id : undefined;
    },
  },
  {
    endpoint: 'GET /products/{id}',
    expected: [200],
    build: (context, vocabulary) => {
      // a word from the catalogue finds products; should it not, a product seen at start
      const id = context.productId ?? (vocabulary.productIds.length > 0 ? pick(vocabulary.productIds) : undefined);
      return id === undefined ? undefined : { path: `/products/${id}` };
    },
  },
  { endpoint: 'GET /auth/jwks.json', expected: [200], build: () => ({ path: '/auth/jwks.json' }) },
  {
    endpoint: 'POST /auth/logout',
    expected: [204],
    build: (context) => (context.token ? { path: '/auth/logout', auth: true } : undefined),
  },
];

const methodOf = (endpoint: string) => endpoint.split(' ')[0] as 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface StressOptions extends Target {
  rps: number;
  /** Seconds; 0 runs until stopped. */
  durationSeconds: number;
  /** Seconds between printed lines (and summary rewrites). */
  intervalSeconds: number;
  /** Most clients with a request in flight at once (default: 3 × rps, at least 10). */
  connections?: number;
  timeoutSeconds?: number;
  /** Called with each interval (printing, rewriting the summary). */
  onInterval?: (sample: IntervalSample, recorder: Recorder) => void;
  /** Resolves when the run should end early (SIGINT/SIGTERM). */
  stopSignal?: Promise<void>;
}

/** A client of the flow: its account and its place in the flow. */
interface Client {
  context: StressContext;
  step: number;
}

export async function runStress(options: StressOptions): Promise<Summary> {
  const vocabulary = await discoverWords(options);
  const recorder = new Recorder();
  const most = options.connections ?? Math.max(10, options.rps * 3);
  const timeoutMs = (options.timeoutSeconds ?? 10) * 1000;
  const agent = new Agent({ keepAlive: true, maxSockets: most });
  const idle: Client[] = [];
  let clients = 0;
  let waiting = 0; // arrivals that found every client busy at the bound
  const inFlight = new Set<Promise<void>>();

  /** The client's next request, starting its flow over (a new account) when a step cannot be built. */
  const nextRequest = (client: Client) => {
    for (let tries = 0; tries <= flow.length; tries++) {
      const step = flow[client.step]!;
      const built = step.build(client.context, vocabulary);
      if (built) return { step, built };
      client.context = {};
      client.step = 0;
    }
    throw new Error('the stress flow cannot start');
  };

  const send = async (client: Client): Promise<void> => {
    const { step, built } = nextRequest(client);
    const context = client.context;
    client.step = (client.step + 1) % flow.length;
    if (client.step === 0) client.context = {}; // the flow ends with logout: a new account next time
    const headers: Record<string, string> = { accept: 'application/json' };
    if (built.auth && context.token) headers.authorization = `Bearer ${context.token}`;
    if (built.body !== undefined) headers['content-type'] = 'application/json';
    const started = performance.now();
    try {
      const body = built.body === undefined ? undefined : JSON.stringify(built.body);
      const answer = await exchange(options, { method: methodOf(step.endpoint), path: built.path, headers, ...(body === undefined ? {} : { body }), timeoutMs, agent });
      recorder.response(step.endpoint, performance.now() - started, errorOf(answer.status, step.expected));
      step.onResponse?.(answer.status, answer.text, context);
    } catch (err) {
      if (!(err instanceof NoAnswer)) throw err;
      recorder.failure(step.endpoint, err.kind);
    }
  };

  const dispatch = (client: Client) => {
    const request: Promise<void> = send(client).finally(() => {
      inFlight.delete(request);
      if (waiting > 0) {
        waiting -= 1;
        dispatch(client);
      } else {
        idle.push(client);
      }
    });
    inFlight.add(request);
  };

  const arrive = () => {
    const client = idle.shift() ?? (clients < most ? ((clients += 1), { context: {}, step: 0 }) : undefined);
    if (client) dispatch(client);
    else waiting += 1;
  };

  const ticker = setInterval(() => options.onInterval?.(recorder.sample(), recorder), options.intervalSeconds * 1000);
  const started = performance.now();
  const ends = options.durationSeconds === 0 ? Number.POSITIVE_INFINITY : started + options.durationSeconds * 1000;
  const gapMs = 1000 / options.rps;
  try {
    await new Promise<void>((resolve) => {
      let arrivals = 0;
      let timer: NodeJS.Timeout | undefined;
      const stop = () => {
        clearTimeout(timer);
        resolve();
      };
      void options.stopSignal?.then(stop);
      const tick = () => {
        const now = performance.now();
        // every arrival that is due by now (several, after a stalled event loop)
        while (started + arrivals * gapMs <= now && started + arrivals * gapMs < ends) {
          arrivals += 1;
          arrive();
        }
        const next = started + arrivals * gapMs;
        if (next >= ends) return stop();
        timer = setTimeout(tick, next - now);
      };
      tick();
    });
    waiting = 0;
    await Promise.all(inFlight);
  } finally {
    clearInterval(ticker);
    recorder.stop();
    agent.destroy();
  }
  return recorder.summary();
}
