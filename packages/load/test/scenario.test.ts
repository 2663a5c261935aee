// The search scenario's rules, against a fake catalogue: refine while more than 10 come back (with a
// word from a result), open a product when 1–10 do, move on when none do, 1–20 products per user.
import { createServer, type Server } from 'node:http';
import t from 'tap';
import { emptyCounters, PRODUCT, REFINE_ABOVE, runScenario, SEARCH, SearchUser } from '../src/scenario.ts';
import { assertSummaryShape } from './summary-shape.ts';

interface FakeProduct {
  id: number;
  name: string;
}

/** A catalogue where every product has every word of its name; search = all words must match. */
function catalogue(): FakeProduct[] {
  const products: FakeProduct[] = [];
  let id = 1;
  // "lamp" alone matches 40 products; with a colour 10; with a colour and a size 1–2
  for (const colour of ['red', 'green', 'blue', 'white']) {
    for (const size of ['small', 'large', 'tiny', 'huge', 'wide']) {
      for (const n of [1, 2]) products.push({ id: id++, name: `Lamp ${colour} ${size} ${n === 1 ? 'classic' : 'modern'}` });
    }
  }
  products.push({ id: id++, name: 'Unique teapot' });
  return products;
}

function search(products: FakeProduct[], q: string) {
  const words = q.toLowerCase().split(/\s+/).filter(Boolean);
  const found = products.filter((p) => words.every((w) => p.name.toLowerCase().split(' ').includes(w)));
  return { items: found.slice(0, 20), total: found.length, totalCapped: false, limit: 20, offset: 0 };
}

const answer = (body: unknown) => JSON.stringify(body);
const sequence = (...values: number[]) => {
  let i = 0;
  return () => values[i++ % values.length]!;
};

t.test('a user refines a search of more than 10 with a word from a result, then opens one of 1–10', async (t) => {
  const products = catalogue();
  const counters = emptyCounters();
  const user = new SearchUser(['lamp'], 1, counters, sequence(0));
  const first = user.next();
  t.same(first, { endpoint: SEARCH, path: '/products/search?q=lamp' });
  const all = search(products, 'lamp');
  t.ok(all.total > REFINE_ABOVE);
  user.handle(200, answer(all));
  const second = user.next();
  t.equal(second?.endpoint, SEARCH, 'searches again');
  const words = decodeURIComponent(second!.path.split('q=')[1]!).split(' ');
  t.equal(words.length, 2, 'with one word more');
  t.equal(words[0], 'lamp');
  t.ok(all.items.some((item) => item.name.toLowerCase().split(' ').includes(words[1]!)), `"${words[1]}" is a word of one of the results`);

  // keep answering with what the fake catalogue finds until the user opens a product
  let request = second;
  let searches = 2;
  while (request?.endpoint === SEARCH) {
    const found = search(products, decodeURIComponent(request.path.split('q=')[1]!));
    user.handle(200, answer(found));
    request = user.next();
    if (request?.endpoint === SEARCH) {
      searches += 1;
      t.ok(found.total > REFINE_ABOVE, 'refines only while more than 10 come back');
    } else {
      t.ok(found.total >= 1 && found.total <= REFINE_ABOVE, `opens a product once ${found.total} (1–10) came back`);
      t.ok(found.items.some((item) => request?.path === `/products/${item.id}`), 'one of the results');
    }
  }
  t.equal(request?.endpoint, PRODUCT);
  user.handle(200, answer(products[0]));
  t.equal(user.next(), undefined, 'one product looked for: the user is done');
  t.ok(user.done);
  t.match(counters, { users: 1, cycles: 1, found: 1, notFound: 0, failed: 0, searches, refinements: searches - 1 });
});

t.test('no results: on to the next product; an error or no answer ends that product too', async (t) => {
  const counters = emptyCounters();
  const user = new SearchUser(['teapot', 'nothing'], 3, counters, sequence(0.9, 0.1, 0.1));
  t.same(user.next(), { endpoint: SEARCH, path: '/products/search?q=nothing' });
  user.handle(200, answer({ items: [], total: 0 }));
  t.same(user.next(), { endpoint: SEARCH, path: '/products/search?q=teapot' }, 'a new product, a new single word');
  user.handle(503, answer({ code: 503, message: 'database is unavailable' }));
  t.equal(user.next()?.endpoint, SEARCH, 'after an error, the next product');
  user.fail();
  t.equal(user.next(), undefined, 'three products looked for');
  t.match(counters, { cycles: 3, notFound: 1, failed: 2, found: 0 });
});

t.test('a search that cannot be narrowed (every word already in it, or 8 words) opens a product', async (t) => {
  const user = new SearchUser(['lamp'], 1, emptyCounters(), sequence(0));
  user.next();
  const same = { items: Array.from({ length: 20 }, (_, i) => ({ id: i + 1, name: 'Lamp' })), total: 300 };
  user.handle(200, answer(same));
  t.same(user.next(), { endpoint: PRODUCT, path: '/products/1' });
});

t.test('each user looks for 1–20 products; users ramp up to the count against a fake server', async (t) => {
  const products = catalogue();
  const seen: string[] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    seen.push(`${req.headers.host} ${url.pathname}`);
    res.setHeader('content-type', 'application/json');
    if (url.pathname === '/products/search') res.setHeader('x-cache', seen.length % 2 ? 'HIT' : 'MISS');
    if (url.pathname === '/products/search') return res.end(answer(search(products, url.searchParams.get('q') ?? '')));
    const product = products.find((p) => `/products/${p.id}` === url.pathname);
    res.statusCode = product ? 200 : 404;
    res.end(answer(product ?? { code: 404, message: 'not found' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.address() as { port: number };

  const users: number[] = [];
  const result = await runScenario({
    baseUrl: `http://127.0.0.1:${port}`,
    host: 'arch.homework',
    users: 4,
    rampPerSecond: 4,
    durationSeconds: 3,
    userRate: 50,
    cycles: [1, 20],
    intervalSeconds: 1,
    words: ['lamp', 'teapot', 'sofa'],
    onInterval: (sample) => users.push(sample.users ?? 0),
  });
  assertSummaryShape(t, result.summary);
  t.equal(result.summary.errors, 0);
  t.same(Object.keys(result.summary.byEndpoint).sort(), [PRODUCT, SEARCH].sort());
  t.ok(seen.length > 0 && seen.every((line) => line.startsWith('arch.homework ')), 'every request carries the Host header');
  t.ok(Math.max(...users) <= 4 && Math.max(...users) >= 2, `users ramp up to at most 4 (${users.join(', ')})`);
  const { counters } = result;
  t.ok(counters.cycles >= counters.users, 'every user looked for at least one product');
  t.ok(counters.cycles <= counters.users * 20, 'and at most 20');
  t.ok(counters.notFound > 0, '"sofa" finds nothing');
  t.ok(counters.found > 0 && counters.refinements > 0, 'lamps were refined and opened');
  t.equal(result.summary.requests, counters.searches + counters.found, 'every request was a search or an opened product');
  t.equal((counters.cache.HIT ?? 0) + (counters.cache.MISS ?? 0), counters.searches, 'searches counted by their X-Cache answer');
  t.ok(result.timeline.length >= 2, 'errors, rate and latency over time');
});
