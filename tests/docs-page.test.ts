import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { after, before, describe, it } from 'node:test';
import type { OpenAPIObject } from 'openapi3-ts/oas31';
import type { RunningServer } from '../engine/server/listen.ts';
import { browserGate, launchBrowser, offline } from './support/browser.ts';
import { call, makeProject, startServer, type TestProject } from './support/project.ts';

/**
 * `/docs` without internet access: Swagger UI's assets come from the installed
 * swagger-ui-dist (the version the lockfile pins), with long cache headers and ETags, under
 * a Content-Security-Policy that allows no inline script and no other origin. A headless
 * Chromium whose every non-loopback request is aborted renders one operation block per
 * operation of the live document, without a console error or a CSP violation.
 */
const NOTES = `name: notes
description: Scratch notes.
storage: { backend: memory }
schema:
  type: object
  properties:
    text: { type: string, maxLength: 1000, description: The note. }
endpoints:
  - operation: list
  - operation: get
  - operation: create
  - operation: delete
`;
const TICKETS = `name: tickets
description: Support tickets.
access: { public: true }
storage: { backend: memory }
schema:
  type: object
  properties:
    title: { type: string, maxLength: 200, description: One-line summary. }
endpoints:
  - operation: list
  - operation: update
`;

const VERSION = (
  JSON.parse(readFileSync(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'), 'utf8')) as { version: string }
).version;

describe('/docs', () => {
  let project: TestProject;
  let server: RunningServer;
  before(async () => {
    project = makeProject({ 'notes.yaml': NOTES, 'tickets.yaml': TICKETS });
    server = await startServer(project);
  });
  after(async () => {
    await server.close();
    project.remove();
  });

  it('the page names only its own assets and runs no inline script, under a strict CSP', async () => {
    const response = await fetch(`${server.url}/docs`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/html/);
    const csp = response.headers.get('content-security-policy') ?? '';
    for (const directive of ["default-src 'none'", "script-src 'self'", "frame-ancestors 'none'", "connect-src 'self'"]) {
      assert.ok(csp.split('; ').includes(directive), `CSP has ${directive}: ${csp}`);
    }
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|https?:/);
    const html = await response.text();
    assert.match(html, /<title>theCouncil API<\/title>/);
    const sources = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    assert.deepEqual(sources, [
      `docs/assets/${VERSION}/swagger-ui.css`,
      `docs/assets/${VERSION}/favicon-32x32.png`,
      `docs/assets/${VERSION}/favicon-16x16.png`,
      `docs/assets/${VERSION}/swagger-ui-bundle.js`,
      'docs/init.js',
    ]);
    assert.doesNotMatch(html, /<script>|<script [^>]*>[^<]/, 'no inline script');
    assert.doesNotMatch(html, /cdn|unpkg|jsdelivr/i);
  });

  it('assets come from the installed package, cached for a year, with ETags and 304s', async () => {
    const installed = readFileSync(createRequire(import.meta.url).resolve('swagger-ui-dist/swagger-ui-bundle.js'));
    const bundle = await fetch(`${server.url}/docs/assets/${VERSION}/swagger-ui-bundle.js`);
    assert.equal(bundle.status, 200);
    assert.match(bundle.headers.get('content-type') ?? '', /^text\/javascript/);
    assert.equal(bundle.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    assert.ok(Buffer.from(await bundle.arrayBuffer()).equals(installed), 'the bytes of the installed file (fetch undoes gzip)');
    const etag = bundle.headers.get('etag');
    assert.ok(etag);
    const again = await fetch(`${server.url}/docs/assets/${VERSION}/swagger-ui-bundle.js`, { headers: { 'if-none-match': etag } });
    assert.equal(again.status, 304);
    const css = await fetch(`${server.url}/docs/assets/${VERSION}/swagger-ui.css`);
    assert.match(css.headers.get('content-type') ?? '', /^text\/css/);
    const init = await fetch(`${server.url}/docs/init.js`);
    assert.equal(init.status, 200);
    assert.match(await init.text(), /SwaggerUIBundle\(\{[^}]*url: 'openapi\.json'/s);
    for (const path of [
      `/docs/assets/0.0.1/swagger-ui-bundle.js`,
      `/docs/assets/${VERSION}/package.json`,
      `/docs/assets/${VERSION}/..%2Fpackage.json`,
    ]) {
      const missing = await call(server.url, 'GET', path);
      assert.equal(missing.status, 404, path);
      assert.equal(missing.json.code, 'not-found');
    }
  });

  const gate = browserGate();
  describe('in a headless browser without internet access', { skip: gate.skip }, () => {
    it('renders every operation of the live document, with no console error and no CSP violation', async (t) => {
      const browser = await launchBrowser(gate.executable);
      try {
        const blocked = await offline(browser.context);
        const page = await browser.context.newPage();
        const problems: string[] = [];
        page.on('console', (message) => {
          if (message.type() === 'error') problems.push(`console: ${message.text()}`);
        });
        page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
        // Injected by the driver, so the page's own CSP does not stop it.
        await page.addInitScript(() => {
          document.addEventListener('securitypolicyviolation', (event) => {
            console.error(`CSP violation: ${event.violatedDirective} ${event.blockedURI}`);
          });
        });
        const started = Date.now();
        await page.goto(`${server.url}/docs`, { waitUntil: 'load', timeout: 60_000 });
        const doc = (await call(server.url, 'GET', '/openapi.json')).json as OpenAPIObject;
        const operationIds = Object.values(doc.paths ?? {})
          .flatMap((item) => Object.values(item as Record<string, { operationId?: string }>))
          .map((op) => op.operationId)
          .sort();
        assert.equal(operationIds.length, 6);
        await page.waitForFunction((count) => document.querySelectorAll('.opblock').length >= count, operationIds.length, {
          timeout: 60_000,
        });
        t.diagnostic(`Swagger UI rendered ${operationIds.length} operations in ${Date.now() - started} ms`);
        const rendered = await page.$$eval('.opblock .opblock-summary-operation-id', (nodes) => nodes.map((n) => n.textContent?.trim()));
        assert.deepEqual(rendered.sort(), operationIds);
        const tags = await page.$$eval('.opblock-tag', (nodes) => nodes.map((n) => n.getAttribute('data-tag')));
        assert.deepEqual(tags, ['notes', 'tickets']);
        assert.equal(await page.locator('.btn.authorize').count(), 1, 'the API key can be entered');
        assert.deepEqual(blocked, [], 'the page asked for nothing beyond this server');
        assert.deepEqual(problems, []);
      } finally {
        await browser.close();
      }
    });
  });
});
