import t from 'tap';
import { sql } from 'kysely';
import { testBackends } from '@arch/kit/testing';
import { insertProducts, startTestApp } from './helpers.ts';

const day = 24 * 3600 * 1000;
const catalogue = [
  { name: 'Космос телескоп X100', description: 'Телескоп для наблюдения за космосом', category: 'electronics', price: '15000.00', createdAt: new Date(Date.now() - 5 * day) },
  { name: 'Красная куртка Заря', description: 'Тёплая зимняя куртка', category: 'clothing', price: '4999.99', createdAt: new Date(Date.now() - 4 * day) },
  { name: 'Red running shoes Nova', description: 'Lightweight running shoes for the city', category: 'shoes', price: '3500.50', createdAt: new Date(Date.now() - 3 * day) },
  { name: 'Wireless headphones Космос', description: 'Noise cancelling headphones', category: 'electronics', price: '8990.00', createdAt: new Date(Date.now() - 2 * day) },
  { name: 'Ёлочная игрушка', description: 'Стеклянный шар', category: 'home', price: '250.00', createdAt: new Date(Date.now() - 1 * day) },
  { name: 'Штатив для камеры', description: 'Подходит и для телескопа', category: 'electronics', price: '1200.00', createdAt: new Date(Date.now()) },
];

for (const backend of testBackends()) {
  t.test(`search on ${backend}`, async (t) => {
    const { app, database, close } = await startTestApp(backend);
    t.teardown(close);
    const [telescope, jacket, shoes, headphones, toy, tripod] = await insertProducts(database, catalogue);
    const search = async (query: string) => {
      const response = await app.inject({ method: 'GET', url: `/products/search?${query}` });
      t.equal(response.statusCode, 200, `${query} answers 200: ${response.body.slice(0, 200)}`);
      return response.json<{ items: Array<{ id: number; name: string; price: string }>; total: number; totalCapped: boolean; limit: number; offset: number }>();
    };
    const ids = async (query: string) => (await search(query)).items.map((item) => item.id).sort((a, b) => a - b);

    t.same(await ids('q=космос'), [telescope, headphones], 'a brand word finds names and descriptions');
    t.same(await ids('q=космоса'), [telescope, headphones], 'another case of the Russian word finds the same');
    t.same(await ids('q=красный'), [jacket], 'the masculine adjective finds «Красная куртка»');
    t.same(await ids('q=headphone'), [headphones], 'English words are stemmed too');
    t.same(await ids('q=runni'), [shoes], 'the last word matches as a prefix while typing');
    t.same(await ids('q=космос%20телес'), [telescope], 'every word must match; the last one as a prefix');
    t.same(await ids('q=космос%20куртка'), [], 'no product has both words');
    t.same(await ids('q=елочная'), [toy], 'е finds ё');
    t.same(await ids('q=ЁЛОЧНАЯ'), [toy], 'and case does not matter');

    const all = await search('');
    t.equal(all.total, 6, 'no query: every product');
    t.same(all.items.map((item) => item.id), [tripod, toy, headphones, shoes, jacket, telescope], 'without words, relevance means newest first');
    t.match(all, { limit: 20, offset: 0, totalCapped: false });

    t.same(await ids('q=космос&category=electronics'), [telescope, headphones], 'category filter');
    t.same(await ids('q=космос&category=ELECTRONICS'), [telescope, headphones], 'category is case-insensitive');
    t.same(await ids('category=clothing'), [jacket], 'category alone');
    t.same(await ids('minPrice=3500.5&maxPrice=8990'), [shoes!, jacket!, headphones!].sort((a, b) => a - b), 'price range is inclusive and exact');
    t.same(await ids('maxPrice=250'), [toy]);

    const ranked = await search('q=телескоп');
    t.same(ranked.items.map((item) => item.id), [telescope, tripod], 'a name match ranks above a description match');

    const byPrice = (await search('sort=price_asc')).items.map((item) => item.price);
    t.same(byPrice, ['250.00', '1200.00', '3500.50', '4999.99', '8990.00', '15000.00'], 'price_asc; prices are exact decimal strings');
    t.same((await search('sort=price_desc&limit=2')).items.map((item) => item.price), ['15000.00', '8990.00'], 'price_desc');
    t.same((await search('sort=newest&limit=2')).items.map((item) => item.id), [tripod, toy], 'newest');

    const page2 = await search('sort=price_asc&limit=2&offset=2');
    t.same(page2.items.map((item) => item.price), ['3500.50', '4999.99'], 'pagination');
    t.match(page2, { total: 6, limit: 2, offset: 2 });
    const past = await search('offset=100');
    t.same(past.items, [], 'past the end: no items');
    t.equal(past.total, 6, 'but the total still says how many');

    const one = await app.inject({ method: 'GET', url: `/products/${telescope}` });
    t.equal(one.statusCode, 200);
    t.match(one.json(), { id: telescope, name: 'Космос телескоп X100', category: 'electronics', price: '15000.00', createdAt: String });
    const missing = await app.inject({ method: 'GET', url: '/products/999999' });
    t.equal(missing.statusCode, 404);
    t.same(missing.json(), { code: 404, message: 'product 999999 not found' });
    const bad = await app.inject({ method: 'GET', url: '/products/abc' });
    t.equal(bad.statusCode, 400);
    t.same(bad.json(), { code: 400, message: 'params.id must be a positive 64-bit integer' });
  });

  t.test(`search refuses bad parameters with a message naming them on ${backend}`, async (t) => {
    const { app, close } = await startTestApp(backend);
    t.teardown(close);
    const cases: Array<[string, string]> = [
      ['limit=101', 'querystring.limit must be <= 100'],
      ['limit=0', 'querystring.limit must be >= 1'],
      ['limit=ten', 'querystring.limit must be of type integer'],
      ['offset=10001', 'querystring.offset must be <= 10000'],
      ['offset=-1', 'querystring.offset must be >= 0'],
      ['sort=cheapest', 'querystring.sort must be one of relevance, price_asc, price_desc, newest'],
      ['minPrice=abc', 'querystring.minPrice must match pattern "^\\d{1,10}(\\.\\d{1,2})?$"'],
      ['minPrice=1.999', 'querystring.minPrice must match pattern "^\\d{1,10}(\\.\\d{1,2})?$"'],
      ['minPrice=100&maxPrice=50', 'querystring.minPrice 100 is greater than querystring.maxPrice 50'],
      ['category=bad%20category', 'querystring.category must match pattern "^[A-Za-z0-9][A-Za-z0-9-]{0,63}$"'],
      ['q=!!!', 'querystring.q must contain a letter or a digit'],
      ['q=a%20b%20c%20d%20e%20f%20g%20h%20i', 'querystring.q has 9 words; at most 8 are allowed'],
      ['q=' + 'x'.repeat(201), 'querystring.q must be at most 200 characters'],
      ['colour=red', "querystring has an unknown field 'colour'"],
    ];
    for (const [query, message] of cases) {
      const response = await app.inject({ method: 'GET', url: `/products/search?${query}` });
      t.equal(response.statusCode, 400, `${query} is refused`);
      t.same(response.json(), { code: 400, message }, `${query}: ${message}`);
    }
  });

  t.test(`search counts up to the cap and still sorts correctly past it on ${backend}`, async (t) => {
    const { app, database, close } = await startTestApp(backend, { env: { SEARCH_COUNT_CAP: '100' } });
    t.teardown(close);
    const mugs = Array.from({ length: 130 }, (_, i) => ({ name: `Кружка керамическая ${i}`, category: 'kitchen', price: `${500 + i}.00` }));
    // the cheapest and the dearest come last, outside the first hundred rows read
    mugs.push({ name: 'Кружка дешёвая', category: 'kitchen', price: '1.00' }, { name: 'Кружка дорогая', category: 'kitchen', price: '99999.00' });
    await insertProducts(database, mugs);
    await insertProducts(database, [{ name: 'Чайник', category: 'kitchen', price: '10.00' }]);

    const capped = (await app.inject({ method: 'GET', url: '/products/search?q=кружка' })).json();
    t.equal(capped.total, 100, 'total stops at the cap');
    t.equal(capped.totalCapped, true, 'and says so');
    t.equal(capped.items.length, 20);

    const cheapest = (await app.inject({ method: 'GET', url: '/products/search?q=кружка&sort=price_asc&limit=2' })).json();
    t.same(cheapest.items.map((item: { price: string }) => item.price), ['1.00', '500.00'], 'price order covers every match, not only the counted ones');
    const dearest = (await app.inject({ method: 'GET', url: '/products/search?q=кружки&sort=price_desc&limit=1' })).json();
    t.equal(dearest.items[0].price, '99999.00');
    const deep = (await app.inject({ method: 'GET', url: '/products/search?q=кружка&sort=price_asc&limit=5&offset=120' })).json();
    t.same(deep.items.map((item: { price: string }) => item.price), ['619.00', '620.00', '621.00', '622.00', '623.00'], 'pages past the cap');

    // Guitars are dear: the cheapest 2 000+ products are something else, past the bounded walk.
    await sql`insert into products (name, category, price) select 'Фурнитура ' || g, 'misc', 2 from generate_series(1, 2100) g`.execute(database.db);
    await insertProducts(database, Array.from({ length: 120 }, (_, i) => ({ name: `Гитара акустическая ${i}`, category: 'music', price: `${9000 - i}.00` })));
    const guitars = (await app.inject({ method: 'GET', url: '/products/search?q=гитара&sort=price_asc&limit=3' })).json();
    t.match(guitars, { total: 100, totalCapped: true });
    t.same(guitars.items.map((item: { price: string }) => item.price), ['8881.00', '8882.00', '8883.00'], 'the cheapest guitars, though every cheaper product is something else');

    const exact = (await app.inject({ method: 'GET', url: '/products/search?q=чайник' })).json();
    t.match(exact, { total: 1, totalCapped: false }, 'below the cap the count is exact');
  });
}
