// `pnpm loadtest stress`: a constant arrival rate over every public API method of the three
// services. Each autocannon connection is a client going through the whole flow with its own
// account: register, log in, create, read, update and delete its own profile, health, search, open a
// product the search found, the JWKS, log out; then again with a new account.
import { randomBytes } from 'node:crypto';
import autocannon from 'autocannon';
import { watchClient, type FlowContext } from './clients.ts';
import { discoverWords, parseSearch, pick, type Target } from './http.ts';
import { Recorder, type IntervalSample, type Summary } from './stats.ts';

interface StressContext extends FlowContext {
  username?: string;
  password?: string;
  token?: string;
  userId?: number;
  profileCreated?: boolean;
  productId?: number;
  /** Health checks left before this connection starts the flow. */
  warmUp?: number;
  warming?: boolean;
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
const health = flow.find((step) => step.endpoint === 'GET /otusapp/health')!;

/**
 * The flow as autocannon requests: each step builds its request from the connection's context.
 * autocannon starts every connection at once with the same flow, so they would all register (and
 * hash a password) in the same second; connection i first checks health i times instead, which
 * spreads the connections over the flow. A step that returns no request makes autocannon start the
 * flow over with a fresh context: that ends the warm-up, and a flow whose login failed.
 */
export function flowRequests(steps: FlowStep[], vocabulary: Vocabulary, host: string | undefined, connections: number): autocannon.Request[] {
  let constructed = 0;
  return steps.map((flowStep, index) => {
    const setupRequest = (request: autocannon.Request, raw: object): autocannon.Request | undefined => {
      const context = raw as StressContext;
      // autocannon builds step 0 of each connection once, in order, as it creates them
      if (index === 0 && context.warmUp === undefined) context.warmUp = constructed < connections ? constructed++ % steps.length : 0;
      let step = flowStep;
      if (context.warmUp) {
        context.warmUp -= 1;
        context.warming = true;
        step = health;
      } else if (context.warming) {
        return undefined;
      }
      const built = step.build(context, vocabulary);
      if (!built) return undefined;
      context.inFlight = step.endpoint;
      context.expected = step.expected;
      const headers: Record<string, string> = { ...(request.headers as Record<string, string> | undefined), accept: 'application/json' };
      if (host) headers.host = host;
      if (built.auth && context.token) headers.authorization = `Bearer ${context.token}`;
      if (built.body !== undefined) headers['content-type'] = 'application/json';
      return { ...request, method: methodOf(step.endpoint), path: built.path, headers, body: built.body === undefined ? '' : JSON.stringify(built.body) };
    };
    return {
      method: methodOf(flowStep.endpoint),
      path: '/',
      setupRequest: setupRequest as (request: autocannon.Request, context: object) => autocannon.Request,
      onResponse: (status: number, body: string, context: object) => {
        const flowContext = context as StressContext;
        if (!flowContext.warming) flowStep.onResponse?.(status, body, flowContext);
      },
    };
  });
}

export interface StressOptions extends Target {
  rps: number;
  /** Seconds; 0 runs until stopped. */
  durationSeconds: number;
  /** Seconds between printed lines (and summary rewrites). */
  intervalSeconds: number;
  /** Concurrent clients (default: min(rps, 10)); the rate is spread over them. */
  connections?: number;
  timeoutSeconds?: number;
  /** Called with each interval (printing, rewriting the summary). */
  onInterval?: (sample: IntervalSample, recorder: Recorder) => void;
  /** Resolves when the run should end early (SIGINT/SIGTERM). */
  stopSignal?: Promise<void>;
}

// An autocannon instance lives at most this long; a run without end chains them.
const WINDOW_SECONDS = 3600;

export async function runStress(options: StressOptions): Promise<Summary> {
  const vocabulary = await discoverWords(options);
  const recorder = new Recorder();
  const connections = options.connections ?? Math.min(options.rps, 10);
  const ticker = setInterval(() => {
    const sample = recorder.sample();
    options.onInterval?.(sample, recorder);
  }, options.intervalSeconds * 1000);
  let stopped = false;
  let current: autocannon.Instance | undefined;
  void options.stopSignal?.then(() => {
    stopped = true;
    current?.stop();
  });
  try {
    let remaining = options.durationSeconds === 0 ? Number.POSITIVE_INFINITY : options.durationSeconds;
    while (!stopped && remaining > 0) {
      const window = Math.min(remaining, WINDOW_SECONDS);
      await new Promise<void>((resolve, reject) => {
        current = autocannon(
          {
            url: options.baseUrl,
            connections,
            overallRate: options.rps,
            duration: window,
            timeout: options.timeoutSeconds ?? 10,
            requests: flowRequests(flow, vocabulary, options.host, connections),
            setupClient: watchClient({ recorder, reconnectDelayMs: 1000 }),
          },
          (err) => (err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve()),
        );
        if (stopped) current.stop();
      });
      remaining -= window;
    }
  } finally {
    clearInterval(ticker);
    recorder.stop();
  }
  return recorder.summary();
}

