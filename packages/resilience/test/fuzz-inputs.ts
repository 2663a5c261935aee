// Generated bad input for every public endpoint (fast-check): wrong types, huge strings, unicode,
// nested junk, SQL and JSON fragments, wrong content types, oversized bodies, spoiled tokens.
import fc from 'fast-check';

/** Fixed, printed on every run and on failure; FUZZ_SEED replays another. */
export const fuzzSeed = Number(process.env.FUZZ_SEED ?? 20261122);
/** Inputs per endpoint (at least 1,000 each). */
export const fuzzRuns = Number(process.env.FUZZ_RUNS ?? 1000);
/** The fuzzed services run with this body limit, so "oversized" is cheap to generate. */
export const fuzzBodyLimit = 4096;

export const sqlFragments = [
  "' OR '1'='1",
  "' OR 1=1 --",
  "x'); DROP TABLE users; --",
  '"; SELECT pg_sleep(5); --',
  "1; UPDATE users SET email='x@evil.com'",
  "' UNION SELECT password_hash FROM accounts --",
  '%27%20OR%201%3D1',
  '\\x27',
  '$1',
  '1e309',
  '-0',
  'NaN',
  '9223372036854775808',
  '-9223372036854775809',
  '0x10',
];
export const jsonFragments = ['{', '}', '[', '{"a":', '{"__proto__":{"admin":true}}', '{"constructor":{"prototype":{"x":1}}}', 'null', 'true', '"str"', '[[[[[[[[[[]]]]]]]]]]', '{"a":1,"a":2}', '\u0000', '\ufeff{}'];
export const nastyStrings = ['', ' ', '\u0000', '\u202e\u0041\u0042', '𝕏'.repeat(50), 'ﷺ', '\ud800', '<script>alert(1)</script>', '${jndi:ldap://x}', '../../etc/passwd', '%00', '\r\nX-Injected: 1'];

const text = fc.oneof(
  { weight: 3, arbitrary: fc.string() },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 80 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 2, arbitrary: fc.constantFrom(...sqlFragments, ...jsonFragments, ...nastyStrings) },
  { weight: 1, arbitrary: fc.integer({ min: 300, max: 3000 }).map((n) => 'x'.repeat(n)) },
);

/** Any JSON value a client might send in a field: wrong types, nested junk, the edges of numbers. */
export const junkValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: text },
  { weight: 2, arbitrary: fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom(0, -1, 2 ** 53, -(2 ** 63), 1e308)) },
  { weight: 1, arbitrary: fc.constantFrom(null, true, false) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 4 }) },
  { weight: 1, arbitrary: fc.array(text, { maxLength: 5 }) },
);

/** An object with some of the endpoint's own field names (so validation gets past the shape) and junk in them. */
export function junkObject(fields: string[], valid: Record<string, unknown> = {}): fc.Arbitrary<Record<string, unknown>> {
  return fc
    .tuple(
      fc.dictionary(fc.constantFrom(...fields), junkValue, { maxKeys: fields.length }),
      fc.dictionary(fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom('__proto__', 'constructor', 'id', 'role', 'admin', '$where')), junkValue, { maxKeys: 2 }),
      fc.boolean(),
      fc.boolean(),
    )
    .map(([known, extra, keepValid, addExtra]) => ({ ...(keepValid ? valid : {}), ...known, ...(addExtra ? extra : {}) }));
}

export interface RawBody {
  contentType: string | undefined;
  payload: string | undefined;
}

const contentTypes = fc.constantFrom(
  'application/json',
  'application/json',
  'application/json; charset=utf-8',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=xyz',
  'application/xml',
  'application/json; charset=utf-16',
  'application/vnd.evil+json',
  '*/*',
  'junk',
);

/** A request body: JSON of `object`, other JSON, raw junk under any content type, or more than the body limit. */
export function body(object: fc.Arbitrary<Record<string, unknown>>): fc.Arbitrary<RawBody> {
  return fc.oneof(
    { weight: 6, arbitrary: object.map((value) => ({ contentType: 'application/json', payload: JSON.stringify(value) })) },
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 5 }).map((value) => ({ contentType: 'application/json', payload: JSON.stringify(value) })) },
    { weight: 2, arbitrary: fc.tuple(fc.option(contentTypes, { nil: undefined }), fc.oneof(text, fc.constantFrom(...jsonFragments))).map(([contentType, payload]) => ({ contentType, payload })) },
    { weight: 1, arbitrary: fc.tuple(contentTypes, object).map(([contentType, value]) => ({ contentType, payload: JSON.stringify(value) })) },
    { weight: 1, arbitrary: fc.integer({ min: fuzzBodyLimit + 1, max: fuzzBodyLimit * 3 }).map((n) => ({ contentType: 'application/json', payload: JSON.stringify({ username: 'x'.repeat(n) }) })) },
    { weight: 1, arbitrary: fc.constant({ contentType: undefined, payload: undefined }) },
  );
}

/** encodeURIComponent that never throws (a lone surrogate becomes U+FFFD). */
export const encode = (value: string) => encodeURIComponent(value.toWellFormed());

/** A path segment standing for an id: valid, out of range, wrong type, encoded junk. */
export function pathId(valid: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 3, arbitrary: valid },
    { weight: 2, arbitrary: fc.oneof(fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map(String), fc.constantFrom('0', '-1', '1.5', '1e3', '0x1F', '9223372036854775807', '9223372036854775808', '00001', ' 1')) },
    { weight: 3, arbitrary: text.map((value) => encode(value) || '%20') },
  );
}

/** A query string of known and unknown keys with junk values, sometimes repeated. */
export function query(keys: string[]): fc.Arbitrary<string> {
  return fc
    .array(fc.tuple(fc.oneof(fc.constantFrom(...keys), fc.string({ maxLength: 10 })), fc.oneof(junkValue.map((v) => (typeof v === 'string' ? v : JSON.stringify(v) ?? '')), fc.constantFrom('1', '20', 'price', 'relevance'))), { maxLength: 6 })
    .map((pairs) => pairs.map(([key, value]) => `${encode(key)}=${encode(value)}`).join('&'));
}

/** Header values must be sendable: printable ASCII only (what HTTP allows in a field value). */
export const headerSafe = (value: string) => value.replace(/[^\x20-\x7e]/g, '').trim();

/** An Authorization header: none, valid ones given, spoiled or junk ones. */
export function authorization(valid: string[], spoiled: string[]): fc.Arbitrary<string | undefined> {
  return fc.oneof(
    { weight: 2, arbitrary: fc.constant(undefined) },
    { weight: 4, arbitrary: fc.constantFrom(...valid).map((token) => `Bearer ${token}`) },
    { weight: 2, arbitrary: fc.constantFrom(...spoiled).map((token) => `Bearer ${token}`) },
    { weight: 2, arbitrary: text.map((value) => headerSafe(`Bearer ${value}`)) },
    { weight: 1, arbitrary: fc.constantFrom('Basic YWRtaW46YWRtaW4=', 'Bearer', 'bearer  x.y.z', 'Bearer a.b', 'Bearer ..', 'Token abc') },
  );
}
