/** @jsxRuntime automatic @jsxImportSource hono/jsx */
import type { FC } from 'hono/jsx';
import { Layout, Notice } from './layout.tsx';

/** The sign-in form; `next` is where to go after (a console path). */
export const LoginPage: FC<{ next: string; email?: string; error?: string }> = ({ next, email, error }) => (
  <Layout title="Sign in">
    {error ? <Notice kind="error">{error}</Notice> : null}
    <form class="stack" method="post" action="/console/login">
      <input type="hidden" name="next" value={next} />
      <label>
        Email
        <input type="email" name="email" autocomplete="username" required value={email ?? ''} />
      </label>
      <label>
        Password
        <input type="password" name="password" autocomplete="current-password" required />
      </label>
      <button type="submit">Sign in</button>
    </form>
    <p class="hint">
      No account yet? An operator creates the first one on the server with{' '}
      <code>council users create --email you@example.com --role admin</code>, which prints a one-time password.
    </p>
  </Layout>
);
