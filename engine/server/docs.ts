import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { type Context, Hono } from 'hono';
import type { CouncilConfig } from '../config/config.ts';
import { HttpProblem } from '../errors/problem.ts';

/**
 * `/docs`: Swagger UI over the live `/openapi.json`, served entirely by the engine. Its
 * assets come from the installed `swagger-ui-dist` package (pinned by the lockfile), so
 * the page works without internet access and never loads code from a CDN. The page runs
 * no inline script: its initializer is a served file, so the Content-Security-Policy can
 * allow scripts from this origin only.
 *
 * Asset URLs carry the package version (`/docs/assets/5.35.0/swagger-ui-bundle.js`), so
 * they are cached for a year and an upgrade changes the URL; each also has an `ETag`.
 */
export function docsApp(config: () => CouncilConfig): Hono {
  const app = new Hono();
  app.get('/', (c) => {
    c.header('content-security-policy', contentSecurityPolicy(config().server.publicUrl));
    c.header('cache-control', 'no-cache');
    c.header('x-content-type-options', 'nosniff');
    c.header('referrer-policy', 'no-referrer');
    return c.html(page(load().version));
  });
  app.get('/init.js', (c) => send(c, load().init, 'no-cache'));
  app.get('/assets/:version/:file', (c) => {
    const assets = load();
    const asset = c.req.param('version') === assets.version ? assets.files.get(c.req.param('file')) : undefined;
    if (!asset) throw new HttpProblem('not-found', `no /docs asset ${c.req.path}; the page at /docs names the ones it uses`);
    return send(c, asset, 'public, max-age=31536000, immutable');
  });
  return app;
}

/** One served file, read once; gzipped on first need. */
interface Asset {
  readonly type: string;
  readonly body: Buffer;
  readonly etag: string;
  gzip?: Buffer;
}

/** The files of swagger-ui-dist the page uses; nothing else in the package is served. */
const FILES: Readonly<Record<string, string>> = {
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'swagger-ui.css': 'text/css; charset=utf-8',
  'favicon-32x32.png': 'image/png',
  'favicon-16x16.png': 'image/png',
};

/**
 * The initializer. `validatorUrl: null` keeps Swagger UI from asking validator.swagger.io
 * about the document; `url` is relative, so the page works under any path prefix.
 */
const INIT = `window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({
    url: 'openapi.json',
    dom_id: '#swagger-ui',
    deepLinking: true,
    displayOperationId: true,
    persistAuthorization: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout',
  });
});
`;

let loaded: { version: string; files: Map<string, Asset>; init: Asset } | undefined;

/** Read on first use (1.9 MB), once per process: an engine nobody opens /docs on never reads them. */
function load() {
  if (loaded) return loaded;
  const manifest = createRequire(import.meta.url).resolve('swagger-ui-dist/package.json');
  const folder = path.dirname(manifest);
  const { version } = JSON.parse(readFileSync(manifest, 'utf8')) as { version: string };
  const files = new Map<string, Asset>();
  for (const [file, type] of Object.entries(FILES)) files.set(file, asset(readFileSync(path.join(folder, file)), type));
  loaded = { version, files, init: asset(Buffer.from(INIT), 'text/javascript; charset=utf-8') };
  return loaded;
}

function asset(body: Buffer, type: string): Asset {
  return { type, body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` };
}

function send(c: Context, asset: Asset, cacheControl: string): Response {
  const headers: Record<string, string> = {
    'content-type': asset.type,
    'cache-control': cacheControl,
    etag: asset.etag,
    vary: 'accept-encoding',
    'x-content-type-options': 'nosniff',
  };
  if (matches(c.req.header('if-none-match'), asset.etag)) return new Response(null, { status: 304, headers });
  if (/\bgzip\b/.test(c.req.header('accept-encoding') ?? '') && asset.body.length > 1024) {
    asset.gzip ??= gzipSync(asset.body);
    return new Response(new Uint8Array(asset.gzip), { headers: { ...headers, 'content-encoding': 'gzip' } });
  }
  return new Response(new Uint8Array(asset.body), { headers });
}

function matches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false;
  return ifNoneMatch
    .split(',')
    .map((tag) => tag.trim().replace(/^W\//, ''))
    .some((tag) => tag === etag || tag === '*');
}

/**
 * Scripts and styles from this origin only; Swagger UI's icons are data: URLs in its CSS.
 * "Try it out" calls this origin, or `server.publicUrl` when the document names another.
 */
function contentSecurityPolicy(publicUrl: string | undefined): string {
  let api = '';
  try {
    if (publicUrl) api = ` ${new URL(publicUrl).origin}`;
  } catch {}
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    `connect-src 'self'${api}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

function page(version: string): string {
  const at = `docs/assets/${version}`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>theCouncil API</title>
<link rel="stylesheet" href="${at}/swagger-ui.css">
<link rel="icon" type="image/png" href="${at}/favicon-32x32.png" sizes="32x32">
<link rel="icon" type="image/png" href="${at}/favicon-16x16.png" sizes="16x16">
</head>
<body>
<div id="swagger-ui"></div>
<script src="${at}/swagger-ui-bundle.js" charset="utf-8"></script>
<script src="docs/init.js" charset="utf-8"></script>
</body>
</html>
`;
}
