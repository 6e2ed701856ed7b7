// The autocannon load generator as a process of its own (the fallback when wrk is absent):
// argv[2] is a LoadSpec as JSON; prints the result as one line of JSON.
import autocannon from 'autocannon';
import type { LoadSpec } from '../load.ts';

const spec = JSON.parse(process.argv[2] ?? '{}') as LoadSpec;
const paths = spec.paths ?? [];
const result = await autocannon({
  url: spec.url,
  connections: spec.connections,
  duration: spec.seconds,
  requests: [
    {
      method: spec.method,
      headers: spec.headers,
      ...(spec.body === undefined ? {} : { body: spec.body }),
      // A random id for each request when there are many to choose from.
      ...(paths.length ? { setupRequest: (request) => ({ ...request, path: paths[Math.floor(Math.random() * paths.length)] }) } : {}),
    },
  ],
});
process.stdout.write(
  `${JSON.stringify({
    requests: result.requests.total,
    seconds: result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  })}\n`,
);
