import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RunningServer } from '../../engine/server/listen.ts';
import { axeViolations, seriousOf } from '../support/axe.ts';
import { browserGate, launchBrowser, offline } from '../support/browser.ts';
import { createUser } from '../support/console-client.ts';
import { adminHeaders, makeProject, startServer, type TestProject } from '../support/project.ts';

/**
 * The console in a real headless Chromium, offline, under its own CSP: an admin signs in
 * with the one-time password the CLI would print, chooses a password, adds a viewer
 * through the form; the viewer signs in and is refused the users page. axe-core checks
 * every page on the way for serious or critical accessibility violations, and any console
 * error or CSP violation fails the test.
 */
const TICKETS = `name: tickets
description: Support tickets for the console browser test.
storage: { backend: memory }
schema:
  type: object
  required: [title]
  properties:
    title: { type: string, maxLength: 200, description: One-line summary. }
endpoints:
  - operation: list
  - operation: get
  - operation: create
`;

const gate = browserGate();

describe('the console in a browser', { skip: gate.skip }, () => {
  let project: TestProject;
  let server: RunningServer;
  before(async () => {
    project = makeProject({ 'tickets.yaml': TICKETS, 'broken.yaml': 'name: broken\nstorage: { backend: memory }\n' });
    server = await startServer(project, { audit: { enabled: true }, analytics: { enabled: true, flushSeconds: 1, retentionDays: 400 } });
  });
  after(async () => {
    await server?.close();
    project?.remove();
  });

  it('an admin adds a viewer, who is refused the admin pages; an editor adds and breaks an automation, makes a key and sees its use; every page passes axe', async (t) => {
    const ann = await createUser(server, 'ann@example.com', 'admin');
    const browser = await launchBrowser(gate.executable);
    try {
      const blocked = await offline(browser.context);
      const page = await browser.context.newPage();
      const problems: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') problems.push(`console: ${m.text()}`);
      });
      page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
      await page.addInitScript(() => {
        document.addEventListener('securitypolicyviolation', (e) => console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`));
      });
      const checked: string[] = [];
      const lesser = new Set<string>();
      // CONSOLE_SCREENSHOTS=documents/console: the pictures in documents/console.md, taken on the way.
      const shot = async (name: string) => {
        const dir = process.env.CONSOLE_SCREENSHOTS;
        if (dir) await page.screenshot({ path: join(dir, `${name}.png`), fullPage: true });
      };
      const accessible = async (what: string) => {
        const violations = await axeViolations(page);
        assert.deepEqual(seriousOf(violations), [], `${what} (${page.url()}) has accessibility violations`);
        for (const v of violations) lesser.add(`${v.impact} ${v.id} on ${what}`);
        checked.push(what);
      };
      const signIn = async (email: string, password: string) => {
        await page.goto(`${server.url}/console`);
        assert.match(page.url(), /\/console\/login\?next=/);
        await accessible('sign-in page');
        await page.getByLabel('Email').fill(email);
        await page.getByLabel('Password').fill(password);
        await page.getByRole('button', { name: 'Sign in' }).click();
      };
      const choosePassword = async (oneTime: string, chosen: string) => {
        await page.waitForURL('**/console/password');
        await accessible('password page');
        await page.getByLabel('Current password').fill(oneTime);
        await page.getByLabel('New password', { exact: false }).first().fill(chosen);
        await page.getByLabel('New password again').fill(chosen);
        await page.getByRole('button', { name: 'Change password' }).click();
        await page.getByText('Your password is changed').waitFor();
      };

      await signIn(ann.email, ann.password);
      await choosePassword(ann.password, 'admin passphrase for tests');
      await page.getByRole('link', { name: 'Automations' }).click();
      await page.getByRole('link', { name: 'tickets' }).waitFor();
      assert.match((await page.locator('main').textContent()) ?? '', /invalid/);
      await accessible('automations list');
      // By keyboard: the first Tab reaches the skip link, Enter on it moves on to the page's own content.
      await page.locator('body').press('Tab');
      assert.equal(await page.evaluate(() => document.activeElement?.textContent?.trim()), 'Skip to content');
      await page.keyboard.press('Enter');
      assert.match(page.url(), /#main$/);
      await page.keyboard.press('Tab');
      assert.equal(
        await page.evaluate(() => document.activeElement?.closest('main') !== null),
        true,
        'the next Tab lands inside the main content, past the menu',
      );
      await shot('automations');
      await page.getByRole('link', { name: 'tickets' }).click();
      await page.getByRole('heading', { name: 'Endpoints' }).waitFor();
      await accessible('automation page');

      await page.getByRole('link', { name: 'Users' }).click();
      await accessible('users page');
      /** Adds a user through the form and returns the one-time password the page shows once. */
      const addUser = async (email: string, role: string) => {
        await page.getByLabel('Email').fill(email);
        await page.locator('select[name="role"]').selectOption(role);
        await page.getByRole('button', { name: 'Add user' }).click();
        const secret = page.locator('.secret');
        await secret.waitFor();
        const password = (await secret.textContent())?.trim() ?? '';
        assert.match(password, /^[0-9A-Za-z]{20}$/);
        return password;
      };
      const vicPassword = await addUser('vic@example.com', 'viewer');
      await accessible('users page after adding one');
      const evePassword = await addUser('eve@example.com', 'editor');
      await page.getByRole('button', { name: 'Sign out', exact: true }).click();
      await page.waitForURL('**/console/login');

      await signIn('vic@example.com', vicPassword);
      await choosePassword(vicPassword, 'viewer passphrase for tests');
      assert.equal(await page.getByRole('link', { name: 'Users' }).count(), 0, 'a viewer has no Users menu');
      const before = problems.length;
      const refused = await page.goto(`${server.url}/console/users`);
      assert.equal(refused?.status(), 403);
      // Chromium reports any 4xx page load as a console error: this one is the point.
      assert.deepEqual(problems.splice(before), [
        'console: Failed to load resource: the server responded with a status of 403 (Forbidden)',
      ]);
      await page.getByText('This needs the admin role; you are signed in as viewer').waitFor();
      await accessible('refusal page');

      if (lesser.size > 0) t.diagnostic(`axe, moderate or minor: ${[...lesser].join('; ')}`);
      // An editor adds an automation through the form, sees it serving, then breaks its YAML and sees where.
      await page.getByRole('button', { name: 'Sign out', exact: true }).click();
      await signIn('eve@example.com', evePassword);
      await choosePassword(evePassword, 'editor passphrase for tests');
      await page.getByRole('link', { name: 'Automations' }).click();
      await page.getByRole('link', { name: 'New automation' }).click();
      await accessible('new automation form');
      await shot('new-automation');
      await page.locator('input[name="name"]').fill('orders');
      await page.locator('textarea[name="description"]').fill('Customer orders the support assistant looks up.');
      await page.locator('select[name="connection"]').selectOption('memory');
      await page.getByLabel('Field 1 name').fill('customer');
      await page.getByLabel('Field 1 required').check();
      await page.getByLabel('Field 2 name').fill('total');
      await page.getByLabel('Field 2 type').selectOption('number');
      await page.getByRole('button', { name: 'Show the YAML' }).click();
      await page.getByRole('heading', { name: 'The engine accepts this text' }).waitFor();
      await accessible('editor with a new automation');
      await page.getByRole('button', { name: 'Save' }).click();
      await page.getByText('Saved. The engine loaded it').waitFor();
      assert.match((await page.locator('main').textContent()) ?? '', /serving/);
      await page.getByRole('link', { name: 'Edit the YAML' }).click();
      // The YAML editor (CodeMirror, over the text area it keeps in step): typed into, it checks as one types.
      const yaml = page.locator('textarea#yaml');
      const text = await yaml.inputValue();
      const editor = page.locator('.cm-content');
      await editor.waitFor();
      assert.equal(await yaml.isHidden(), true, 'the editor stands in for the text area');
      // As a person edits: to the end of the line, two words back, and the new word typed.
      await page.locator('.cm-line', { hasText: 'type: number' }).click();
      await page.keyboard.press('End');
      for (let i = 0; i < 'number'.length; i++) await page.keyboard.press('Backspace');
      await page.keyboard.type('numbr');
      await page.locator('.cm-lintRange-error').first().waitFor();
      const typedLine = text.split('\n').findIndex((l) => l.includes('type: number')) + 1;
      const marked = await page
        .locator('.cm-lintRange-error')
        .first()
        .evaluate((el) => el.closest('.cm-line')?.textContent ?? '');
      assert.match(marked, /type: numbr/, `the live check marks line ${typedLine}`);
      assert.match(await yaml.inputValue(), /type: numbr/, 'the text area holds what was typed');
      await accessible('YAML editor with a live error');
      await shot('yaml-editor');
      await page.getByRole('button', { name: 'Check' }).click();
      await page.getByRole('heading', { name: /error\(s\): not saved/ }).waitFor();
      const line = text.split('\n').findIndex((l) => l.includes('type: number')) + 1;
      assert.match((await page.locator('ul.issues').textContent()) ?? '', new RegExp(`automations/orders\\.yaml:${line}:\\d+`));
      assert.equal(await page.getByRole('button', { name: 'Save' }).count(), 0, 'no Save while it has errors');
      await accessible('editor with errors');
      await shot('editor-errors');
      // The text is not saved: leaving the page asks first, and staying keeps it.
      const asked = new Promise<string>((resolve) =>
        page.once('dialog', (d) => {
          resolve(d.type());
          void d.dismiss();
        }),
      );
      await page.getByRole('link', { name: 'Automations' }).click({ noWaitAfter: true });
      assert.equal(await asked, 'beforeunload');
      assert.match(page.url(), /\/console\/automations\/orders\/edit$/);
      assert.match(await yaml.inputValue(), /type: numbr/);

      // The editor makes a key, a client uses it, and the request shows in the usage chart and the audit log.
      page.once('dialog', (d) => void d.accept());
      await page.getByRole('link', { name: 'Keys' }).click();
      await page.waitForURL('**/console/keys');
      await accessible('keys page');
      await page.getByLabel('Name', { exact: false }).first().fill('browser key');
      await page.getByLabel('orders read').check();
      await page.getByRole('button', { name: 'Make the key' }).click();
      const key = ((await page.locator('.secret').textContent()) ?? '').trim();
      assert.match(key, /^ck_/);
      await accessible('keys page with a new key');
      await shot('keys');
      const used = await fetch(`${server.url}/orders`, { headers: { authorization: `Bearer ${key}` } });
      assert.equal(used.status, 200);
      await page.goto(`${server.url}/console/automations/orders`);
      await page.getByLabel('Operation').selectOption('list');
      await page.getByLabel('API key', { exact: false }).fill(key);
      await page.getByRole('button', { name: 'Send' }).click();
      await page.getByText('answered 200').waitFor();
      await accessible('automation page with a tried request');
      await page.getByRole('link', { name: 'Usage', exact: true }).click();
      await page.getByLabel('1h').check();
      await page.getByRole('button', { name: 'Show' }).click();
      await page.getByRole('link', { name: 'browser key' }).waitFor();
      assert.equal(await page.locator('svg.chart').count(), 2);
      await accessible('usage page');
      await shot('usage');
      // Opened at a line (as a failing endpoint links it), the editor starts there.
      page.once('dialog', (d) => void d.accept());
      await page.goto(`${server.url}/console/automations/orders/edit?line=3`);
      await page.locator('.cm-activeLine', { hasText: 'name: orders' }).waitFor();
      // Completion from the meta-schema: a new key under storage offers `connection`, and a backend's values.
      await page.locator('.cm-line', { hasText: 'backend: memory' }).click();
      await page.keyboard.press('End');
      await page.keyboard.press('Enter');
      // Whatever indentation the editor chose, the key starts at storage's keys' column.
      await page.keyboard.press('Shift+Home');
      await page.keyboard.type('  conn');
      await page.locator('.cm-tooltip-autocomplete', { hasText: 'connection' }).waitFor();
      await page.keyboard.press('Escape');
      await page.keyboard.press('Control+z');
      await page.getByRole('link', { name: 'Audit log' }).click();
      await page.getByLabel('Action', { exact: false }).fill('key.');
      await page.getByRole('button', { name: 'Filter' }).click();
      assert.match((await page.locator('tbody').textContent()) ?? '', /user:eve@example\.comkey\.create/);
      await accessible('audit log');

      // A page on another site that posts a form to the console while the editor is signed in: refused, nothing made.
      const evil = createServer((_, res) => {
        res.setHeader('content-type', 'text/html');
        res.end(
          `<form method="post" action="${server.url}/console/keys"><input name="name" value="forged"><input name="scope" value="orders:delete"></form><script>document.forms[0].submit()</script>`,
        );
      });
      await new Promise<void>((resolve) => evil.listen(0, 'localhost', resolve));
      try {
        const before = problems.length;
        const answered = page.waitForResponse((r) => r.url() === `${server.url}/console/keys`);
        await page.goto(`http://localhost:${(evil.address() as AddressInfo).port}/`);
        assert.equal((await answered).status(), 403);
        await page.getByText('This form was sent from another site, so it was not carried out').waitFor();
        problems.splice(before);
      } finally {
        evil.close();
      }
      const keys = await fetch(`${server.url}/admin/keys`, { headers: adminHeaders(server) });
      assert.ok(!(await keys.text()).includes('forged'), 'no key was made');

      t.diagnostic(`axe: no serious or critical violation on ${checked.length} pages (${[...new Set(checked)].join(', ')})`);
      assert.deepEqual(problems, []);
      assert.deepEqual(blocked, [], 'nothing left the machine');
    } finally {
      await browser.close();
    }
  });

  it('an edit racing a git pull is refused and both texts kept; a read-only console writes nothing and shows the diff', async () => {
    const racing = makeProject({ 'tickets.yaml': TICKETS });
    const raced = await startServer(racing);
    const browser = await launchBrowser(gate.executable);
    try {
      const made = await createUser(raced, 'eve@example.com', 'editor');
      const page = await browser.context.newPage();
      const signIn = async (url: string, password: string) => {
        await page.goto(`${url}/console/login`);
        await page.getByLabel('Email').fill('eve@example.com');
        await page.getByLabel('Password').fill(password);
        await page.getByRole('button', { name: 'Sign in' }).click();
      };
      await signIn(raced.url, made.password);
      await page.getByLabel('Current password').fill(made.password);
      await page.getByLabel('New password', { exact: false }).first().fill('editor passphrase for tests');
      await page.getByLabel('New password again').fill('editor passphrase for tests');
      await page.getByRole('button', { name: 'Change password' }).click();
      await page.getByText('Your password is changed').waitFor();
      await page.goto(`${raced.url}/console/automations/tickets/edit`);
      await page.locator('.cm-content').waitFor();
      // A git pull lands while the page is open.
      const file = join(racing.automations, 'tickets.yaml');
      const pulled = TICKETS.replace('One-line summary.', 'One-line summary (from git).');
      writeFileSync(file, pulled);
      await page.locator('.cm-line', { hasText: 'maxLength: 200' }).click();
      await page.keyboard.press('End');
      await page.keyboard.type(' # edited in the console');
      await page.getByRole('button', { name: 'Check' }).click();
      await page.getByRole('button', { name: 'Save' }).click();
      await page.getByText('changed on disk since you opened it').waitFor();
      assert.equal(readFileSync(file, 'utf8'), pulled, 'what git wrote is kept');
      assert.match(
        await page.locator('textarea#yaml').inputValue(),
        /# edited in the console/,
        'and what was typed is still in the editor',
      );
    } finally {
      await browser.close();
      await raced.close();
      racing.remove();
    }

    const gitops = makeProject({ 'tickets.yaml': TICKETS });
    const readonly = await startServer(gitops, { console: { mode: 'readonly' } });
    const second = await launchBrowser(gate.executable);
    try {
      const made = await createUser(readonly, 'otto@example.com', 'editor');
      const page = await second.context.newPage();
      await page.goto(`${readonly.url}/console/login`);
      await page.getByLabel('Email').fill('otto@example.com');
      await page.getByLabel('Password').fill(made.password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByLabel('Current password').fill(made.password);
      await page.getByLabel('New password', { exact: false }).first().fill('editor passphrase for tests');
      await page.getByLabel('New password again').fill('editor passphrase for tests');
      await page.getByRole('button', { name: 'Change password' }).click();
      await page.getByText('Your password is changed').waitFor();
      await page.goto(`${readonly.url}/console/automations/tickets/configure`);
      await page.getByLabel('Field 1 max length').fill('80');
      await page.getByRole('button', { name: 'Show the change' }).click();
      await page.getByText('This console is read-only').waitFor();
      const diff = (await page.locator('pre.diff').textContent()) ?? '';
      assert.match(diff, /-\s+title: \{ type: string, maxLength: 200/);
      assert.match(diff, /\+\s+title: \{ type: string, maxLength: 80/);
      assert.equal(await page.getByRole('button', { name: 'Save' }).count(), 0, 'nothing to save');
      assert.equal(readFileSync(join(gitops.automations, 'tickets.yaml'), 'utf8'), TICKETS);
    } finally {
      await second.close();
      await readonly.close();
      gitops.remove();
    }
  });
});
