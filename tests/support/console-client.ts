import type { RunningServer } from '../../engine/server/listen.ts';
import { adminHeaders, call } from './project.ts';

/** A user made through `/admin/users` (as `council users create` does), with its one-time password. */
export async function createUser(
  server: RunningServer,
  email: string,
  role: 'admin' | 'editor' | 'viewer',
  automations?: string[],
): Promise<{ id: string; email: string; password: string }> {
  const made = await call(
    server.url,
    'POST',
    '/admin/users',
    { email, role, ...(automations ? { automations } : {}) },
    adminHeaders(server),
  );
  if (made.status !== 201) throw new Error(`could not create ${email}: ${made.status} ${made.text}`);
  return { id: made.json.data.id, email, password: made.json.password };
}

/** A user made through `/admin/users`, signed in on a new client that has chosen `password` in place of the one-time one. */
export async function signedInUser(
  server: RunningServer,
  email: string,
  role: 'admin' | 'editor' | 'viewer',
  password: string,
  automations?: string[],
): Promise<ConsoleClient> {
  const made = await createUser(server, email, role, automations);
  const client = new ConsoleClient(server.url);
  await client.signIn(made.email, made.password, password);
  return client;
}

let nextAddress = 1;

/**
 * A browser-like client of the console over plain fetch: it keeps the session cookie,
 * follows nothing by itself (tests look at redirects), sends forms urlencoded with the
 * `_csrf` of the last page it read, and the `Sec-Fetch-Site` a browser sends for a
 * same-origin form.
 */
export class ConsoleClient {
  cookie = '';
  csrf = '';
  /**
   * `address`: the client address it appears to come from (X-Forwarded-For, which the
   * server believes when it trusts 127.0.0.1 as a proxy), so sign-in limits count each
   * client apart; a new one each time by default.
   */
  constructor(
    readonly base: string,
    readonly address = `10.${nextAddress >> 8}.${nextAddress++ & 255}.1`,
  ) {}

  async get(
    path: string,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; location: string | null; text: string; headers: Headers }> {
    const response = await fetch(`${this.base}${path}`, {
      headers: { cookie: this.cookie, 'x-forwarded-for': this.address, ...headers },
      redirect: 'manual',
    });
    return this.#read(response);
  }

  async post(
    path: string,
    form: Record<string, string | string[]> = {},
    headers: Record<string, string> = {},
  ): Promise<{ status: number; location: string | null; text: string; headers: Headers }> {
    const body = new URLSearchParams();
    for (const [name, value] of Object.entries({ _csrf: this.csrf, ...form })) {
      for (const one of Array.isArray(value) ? value : [value]) body.append(name, one);
    }
    const response = await fetch(`${this.base}${path}`, {
      method: 'POST',
      body,
      headers: {
        cookie: this.cookie,
        'x-forwarded-for': this.address,
        'content-type': 'application/x-www-form-urlencoded',
        'sec-fetch-site': 'same-origin',
        ...headers,
      },
      redirect: 'manual',
    });
    return this.#read(response);
  }

  /** Signs in; with `newPassword`, replaces the one-time password at once. Throws unless it worked. */
  async signIn(email: string, password: string, newPassword?: string): Promise<void> {
    const answer = await this.#untilServed(() => this.post('/console/login', { email, password, next: '/console/automations' }));
    if (answer.status !== 303) throw new Error(`sign-in of ${email} answered ${answer.status}: ${answer.text.slice(0, 300)}`);
    if (!newPassword) return;
    await this.get('/console/password');
    const changed = await this.#untilServed(() =>
      this.post('/console/password', { current: password, password: newPassword, confirm: newPassword }),
    );
    if (changed.status !== 200) throw new Error(`password change of ${email} answered ${changed.status}`);
  }

  /**
   * What a browser's user does on a 503 (the user store did not answer within its
   * deadline: hashing a password on a machine busy with the other test files): try again,
   * a few times, a second apart.
   */
  async #untilServed(send: () => Promise<{ status: number; text: string }>) {
    let answer = await send();
    for (let tries = 1; answer.status === 503 && tries < 5; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      answer = await send();
    }
    return answer;
  }

  async #read(response: Response) {
    const set = response.headers.getSetCookie();
    for (const line of set) {
      const [pair] = line.split(';');
      if (pair?.startsWith('council_session=')) this.cookie = /max-age=0/i.test(line) ? '' : pair;
    }
    const text = await response.text();
    const csrf = /name="_csrf" value="([^"]+)"/.exec(text)?.[1];
    if (csrf) this.csrf = csrf;
    return { status: response.status, location: response.headers.get('location'), text, headers: response.headers };
  }
}
