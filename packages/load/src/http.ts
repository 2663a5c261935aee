// One-off requests around a load run (finding search words, waiting for a target), with a Host header
// of the caller's choosing: fetch() cannot set Host, and through an ingress controller Host is the route.
import { request } from 'node:http';

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

export function getJson(target: Target, path: string, timeoutMs = 5000): Promise<JsonAnswer> {
  const url = new URL(path, target.baseUrl);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: 'GET', headers: { accept: 'application/json', ...(target.host ? { host: target.host } : {}) }, timeout: timeoutMs },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = text;
          try {
            body = JSON.parse(text);
          } catch {
            // not JSON: keep the text
          }
          resolve({ status: res.statusCode ?? 0, body });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`GET ${url.href} timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
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
