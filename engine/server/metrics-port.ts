import { createServer, type Server } from 'node:http';

/**
 * `server.metricsPort`: a listener that answers `GET /metrics` with the Prometheus text and
 * nothing else, without a key. It binds `server.metricsHost`, loopback unless the operator
 * names another address, so a scraper on the same host (or a sidecar) reads it and nobody
 * else can. Anything but GET /metrics is 404; a failed scrape is a 500 with one line.
 */
export function serveMetrics(port: number, host: string, text: () => Promise<{ body: string; contentType: string }>): Promise<Server> {
  const server = createServer((request, response) => {
    const path = (request.url ?? '').split('?')[0];
    if (path !== '/metrics' || (request.method !== 'GET' && request.method !== 'HEAD')) {
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('only GET /metrics is served here\n');
      return;
    }
    text().then(
      ({ body, contentType }) => response.writeHead(200, { 'content-type': contentType }).end(request.method === 'HEAD' ? undefined : body),
      (error: unknown) =>
        response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end(`metrics failed: ${(error as Error).message}\n`),
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}
