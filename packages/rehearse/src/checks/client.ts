// Small HTTP helpers for the checks: JSON in and out, with the answer kept whole for the report.
export interface Answer {
  status: number;
  contentType: string;
  body: unknown;
  text: string;
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
  let body: unknown = undefined;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: kept as text
  }
  return { status: response.status, contentType: response.headers.get('content-type') ?? '', body, text };
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
