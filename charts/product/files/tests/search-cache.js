// helm test: a search answers, and the same search again comes from the cache (X-Cache: MISS, then
// HIT), or never does with the cache off (BYPASS); CACHE_EXPECTED says which the chart configured.
const base = process.env.SERVICE_URL;
const expected = process.env.CACHE_EXPECTED;
// a word nobody searched for yet, so that the first answer cannot be cached already
const url = `${base}/products/search?q=helmtest${Date.now().toString(36)}`;
const first = await call(url);
check(first.status === 200 && Array.isArray(first.json?.items) && typeof first.json?.total === 'number', `a search answers: ${said(first)}`);
const second = await call(url);
check(second.status === 200, `the same search again: ${said(second)}`);
const seen = [first.headers.get('x-cache'), second.headers.get('x-cache')].join(', ');
const want = expected === 'HIT' ? 'MISS, HIT' : 'BYPASS, BYPASS';
check(seen === want, `X-Cache: ${seen} (expected ${want})`);
