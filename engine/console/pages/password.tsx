/** @jsxRuntime automatic @jsxImportSource hono/jsx */
import type { FC } from 'hono/jsx';
import { Csrf, type Frame, Layout, Notice } from './layout.tsx';

/** Changing one's own password; the only page a user with a one-time password may use. */
export const PasswordPage: FC<Frame & { csrf: string; error?: string; done?: boolean }> = ({ error, done, ...frame }) => (
  <Layout title="Your password" section="password" {...frame}>
    {frame.user?.mustChangePassword ? <Notice>You signed in with a one-time password. Choose your own before going on.</Notice> : null}
    {error ? <Notice kind="error">{error}</Notice> : null}
    {done ? <Notice kind="ok">Your password is changed. Your other sessions were signed out.</Notice> : null}
    <form class="stack" method="post" action="/console/password">
      <Csrf token={frame.csrf} />
      <input type="hidden" name="email" autocomplete="username" value={frame.user?.email ?? ''} />
      <label>
        Current password
        <input type="password" name="current" autocomplete="current-password" required />
      </label>
      <label>
        New password <span class="hint">at least 12 characters; a passphrase of a few words works well</span>
        <input type="password" name="password" autocomplete="new-password" required minlength={12} maxlength={256} />
      </label>
      <label>
        New password again
        <input type="password" name="confirm" autocomplete="new-password" required minlength={12} maxlength={256} />
      </label>
      <button type="submit">Change password</button>
    </form>
  </Layout>
);
