// One-off requests around a load run (finding search words, waiting for a target), with a Host header
// of the caller's choosing: fetch() cannot set Host, and through an ingress controller Host is the route.
import { request, type Agent } from 'node:http';

export interface Target {
  /** Where the requests go, e.g. http://ingress-nginx-controller.ingress-nginx */
  baseUrl: string;
  /** Host header (arch.homework through the ingress controller); default: the URL's host. */
  host?: string;
}

export interface JsonAnswer {
  status: number;
  body: unknown;
}

export interface Exchange {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  headers?: Record<string, string>;
  /** Sent as is (JSON already serialised). */
  body?: string;
  timeoutMs: number;
  /** Keep-alive connections shared by a run's requests; default: a new connection each time. */
  agent?: Agent;
}

/** Thrown when a request got no answer: `timeout`, or `connection` (refused, reset, broken). */
export class NoAnswer extends Error {
  readonly kind: 'connection' | 'timeout';

  constructor(kind: 'connection' | 'timeout', message: string) {
    super(message);
    this.kind = kind;
  }
}

/** One request with the target's Host header; resolves with the status and the body's text. */
export function exchange(target: Target, options: Exchange): Promise<{ status: number; text: string }> {
  const url = new URL(options.path, target.baseUrl);
  const headers: Record<string, string> = { ...options.headers, ...(target.host ? { host: target.host } : {}) };
  if (options.body !== undefined) headers['content-length'] = String(Buffer.byteLength(options.body));
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method, headers, ...(options.agent ? { agent: options.agent } : {}) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', (err) => fail(new NoAnswer('connection', err.message)));
    });
    const fail = (err: NoAnswer) => {
      clearTimeout(timer);
      req.destroy();
      reject(err);
    };
    const timer = setTimeout(() => fail(new NoAnswer('timeout', `${options.method} ${url.href} timed out after ${options.timeoutMs} ms`)), options.timeoutMs);
    req.on('error', (err) => fail(new NoAnswer('connection', `${options.method} ${url.href}: ${err.message}`)));
    req.end(options.body);
  });
}

export async function getJson(target: Target, path: string, timeoutMs = 5000): Promise<JsonAnswer> {
  const { status, text } = await exchange(target, { method: 'GET', path, headers: { accept: 'application/json' }, timeoutMs });
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status, body };
}

/** The product fields the load tools read from a search answer. */
export interface FoundProduct {
  id: number;
  name: string;
}

export interface SearchAnswer {
  items: FoundProduct[];
  total: number;
}

/** Reads `{items: [{id, name}], total}` out of a search answer body, or undefined when it is not one. */
export function parseSearch(body: unknown): SearchAnswer | undefined {
  if (typeof body === 'string') {
    try {
      return parseSearch(JSON.parse(body));
    } catch {
      return undefined;
    }
  }
  if (!body || typeof body !== 'object') return undefined;
  const { items, total } = body as { items?: unknown; total?: unknown };
  if (!Array.isArray(items) || typeof total !== 'number') return undefined;
  const products = items.filter(
    (item): item is FoundProduct => !!item && typeof item === 'object' && typeof (item as FoundProduct).id === 'number' && typeof (item as FoundProduct).name === 'string',
  );
  return { items: products, total };
}

/** Words a person would type: letters only, at least three of them, lower-cased. */
export function wordsOf(text: string): string[] {
  return (text.toLowerCase().match(/\p{L}{3,}/gu) ?? []).map((word) => word.replaceAll('ё', 'е'));
}

/** Words in the catalogue's product names; the fallback when the catalogue cannot be read. */
export const fallbackWords = ['смартфон', 'ноутбук', 'наушники', 'книга', 'роман', 'лампа', 'laptop', 'book', 'camera', 'novel'];

/** Search words taken from the catalogue itself (the newest products' names), so searches find something. */
export async function discoverWords(target: Target, pages = 3): Promise<{ words: string[]; productIds: number[] }> {
  const words = new Set<string>();
  const productIds: number[] = [];
  for (let page = 0; page < pages; page++) {
    try {
      const answer = await getJson(target, `/products/search?limit=100&offset=${page * 100}`);
      const found = answer.status === 200 ? parseSearch(answer.body) : undefined;
      if (!found) break;
      for (const item of found.items) {
        productIds.push(item.id);
        for (const word of wordsOf(item.name)) words.add(word);
      }
      if (found.items.length < 100) break; // the last page
    } catch {
      break;
    }
  }
  return { words: words.size > 0 ? [...words] : fallbackWords, productIds };
}

export const pick = <T>(items: readonly T[]): T => {
  if (items.length === 0) throw new Error('nothing to pick from');
  return items[Math.floor(Math.random() * items.length)]!;
};
