/** @jsxRuntime automatic @jsxImportSource hono/jsx */
import type { Child, FC, PropsWithChildren } from 'hono/jsx';
import type { UserRecord } from '../../security/user-store.ts';
import { assetHref } from '../assets.ts';
import { allows } from '../routes.ts';

/** What every page's frame knows: who is signed in (none on the sign-in page) and their form token. */
export interface Frame {
  readonly user?: UserRecord;
  readonly csrf?: string;
  /** Scripts beyond the console's own, by URL (the YAML editor's). */
  readonly scripts?: readonly string[];
  /** The menu entry to mark as the current page. */
  readonly section?: 'automations' | 'usage' | 'audit' | 'keys' | 'users' | 'password';
}

const MENU = [
  { section: 'automations', href: '/console/automations', label: 'Automations', need: 'viewer' },
  { section: 'usage', href: '/console/usage', label: 'Usage', need: 'viewer' },
  { section: 'audit', href: '/console/audit', label: 'Audit log', need: 'editor' },
  { section: 'keys', href: '/console/keys', label: 'Keys', need: 'editor' },
  { section: 'users', href: '/console/users', label: 'Users', need: 'admin' },
] as const;

/** The page: a skip link, the menu the user's role allows, who is signed in, then `children` under the title. */
export const Layout: FC<PropsWithChildren<Frame & { title: string }>> = ({ title, user, csrf, section, scripts, children }) => (
  <html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <title>{`${title} · theCouncil console`}</title>
      <link rel="stylesheet" href={assetHref('console.css')} />
      <script src={assetHref('console.js')} defer />
      {scripts?.map((src) => (
        <script src={src} defer />
      ))}
    </head>
    <body>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href="/console">
          theCouncil
        </a>
        {user ? (
          <nav aria-label="Console">
            <ul>
              {MENU.filter((item) => allows(user.role, item.need)).map((item) => (
                <li>
                  <a href={item.href} aria-current={item.section === section ? 'page' : undefined}>
                    {item.label}
                  </a>
                </li>
              ))}
            </ul>
          </nav>
        ) : null}
        {user && csrf ? (
          <div class="who">
            <a href="/console/password" aria-current={section === 'password' ? 'page' : undefined}>
              {user.email}
            </a>
            <span>({user.role})</span>
            <form class="inline" method="post" action="/console/logout">
              <Csrf token={csrf} />
              <button class="quiet" type="submit">
                Sign out
              </button>
            </form>
          </div>
        ) : null}
      </header>
      <main id="main">
        <h1>{title}</h1>
        {children}
      </main>
    </body>
  </html>
);

/** The hidden field every form of a signed-in page carries. */
export const Csrf: FC<{ token: string }> = ({ token }) => <input type="hidden" name="_csrf" value={token} />;

/** A message box above a page's content; `error` ones are announced to screen readers. */
export const Notice: FC<PropsWithChildren<{ kind?: 'error' | 'ok' | 'info' }>> = ({ kind = 'info', children }) => (
  <div class={`notice ${kind}`} role={kind === 'error' ? 'alert' : 'status'}>
    {children}
  </div>
);

/** A page that only says something (denied, not found, store down), with a way on. */
export const MessagePage: FC<Frame & { title: string; message: Child }> = ({ title, message, ...frame }) => (
  <Layout title={title} {...frame}>
    <Notice kind="error">{message}</Notice>
    <p>
      <a href="/console">Back to the console</a>
    </p>
  </Layout>
);
