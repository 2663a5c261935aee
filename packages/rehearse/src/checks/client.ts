// Small HTTP helpers for the checks: JSON in and out, with the answer kept whole for the report.
import { request } from 'node:http';

export interface Answer {
  status: number;
  contentType: string;
  body: unknown;
  text: string;
}

/** The body as JSON, or undefined when it is not (the text is kept beside it). */
function jsonOrNothing(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** An answer with its headers. */
export type RawAnswer = Answer & { headers: Record<string, string | string[] | undefined> };

/**
 * One request over node:http, which (unlike fetch) sends any Expect header and can leave from a
 * chosen local address: the login limit counts per client address, so a burst from its own address
 * locks out nobody else of the rehearsal.
 */
export function rawCall(url: string, options: { method?: string; headers?: Record<string, string>; body?: string | Buffer; localAddress?: string } = {}): Promise<RawAnswer> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: target.hostname,
        port: target.port || 80,
        path: `${target.pathname}${target.search}`,
        method: options.method ?? 'GET',
        headers: { ...(options.body !== undefined ? { 'content-length': String(Buffer.byteLength(options.body)) } : {}), ...options.headers },
        ...(options.localAddress ? { localAddress: options.localAddress } : {}),
        timeout: 15_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), body: jsonOrNothing(text), text, headers: res.headers });
          // a refusal before the 100 Continue leaves the request's body unsent: nothing more to say on it
          if (!req.writableEnded) req.destroy();
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${url}: no answer within 15 s`)));
    req.on('error', reject);
    const expectsContinue = options.headers?.expect?.toLowerCase() === '100-continue';
    // with Expect: 100-continue the body waits for the 100; a refusal (413) comes instead and ends it
    if (options.body !== undefined && expectsContinue) req.on('continue', () => req.end(options.body));
    else req.end(options.body);
  });
}

export async function call(url: string, options: { method?: string; token?: string; body?: unknown } = {}): Promise<Answer> {
  const response = await fetch(url, {
    method: options.method ?? 'GET',
    headers: {
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await response.text();
  return { status: response.status, contentType: response.headers.get('content-type') ?? '', body: jsonOrNothing(text), text };
}

export const describe = (what: string, answer: Answer) => `${what}: ${answer.status} ${answer.contentType} ${answer.text.slice(0, 200)}`;

/** Whether an answer is the platform's error shape with the given status. */
export const isJsonError = (answer: Answer, status: number) => {
  const body = answer.body as { code?: unknown; message?: unknown } | undefined;
  return answer.status === status && answer.contentType.includes('application/json') && body?.code === status && typeof body.message === 'string' && body.message.length > 0;
};

let counter = 0;
/** A registered and logged-in user: its id and token. */
export async function newUser(baseUrl: string, label: string): Promise<{ id: string; username: string; token: string }> {
  const username = `rehearsal-${label}-${Date.now().toString(36)}-${counter++}`;
  const password = 'Rehearsal-pass1';
  const registered = await call(`${baseUrl}/auth/register`, { method: 'POST', body: { username, password, email: `${username}@example.com` } });
  if (registered.status !== 201) throw new Error(describe('register', registered));
  const token = await login(baseUrl, username, password);
  return { id: String((registered.body as { id: number | string }).id), username, token };
}

export async function login(baseUrl: string, username: string, password: string): Promise<string> {
  const answer = await call(`${baseUrl}/auth/login`, { method: 'POST', body: { username, password } });
  if (answer.status !== 200) throw new Error(describe(`login ${username}`, answer));
  return (answer.body as { accessToken: string }).accessToken;
}

export async function logout(baseUrl: string, token: string): Promise<void> {
  const answer = await call(`${baseUrl}/auth/logout`, { method: 'POST', token });
  if (answer.status !== 204) throw new Error(describe('logout', answer));
}
