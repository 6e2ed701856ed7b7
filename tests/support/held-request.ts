import { request as httpRequest } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

/** A request whose body is only partly sent: its handler waits on the rest, so it stays in flight. */
export interface HeldRequest {
  /** Sends the rest of the body and resolves with the answer. */
  release(): Promise<{ status: number; text: string }>;
}

/**
 * Starts `method path` with a JSON body but holds back all but its first 5 bytes, and
 * resolves once the server has had time to route it (100 ms): from then on the request
 * is in flight on whatever version of the automation served it, until `release`.
 */
export async function holdRequest(url: string, method: string, path: string, body: unknown): Promise<HeldRequest> {
  const text = JSON.stringify(body);
  const { hostname, port } = new URL(url);
  let failed: Error | undefined;
  let rest: (() => void) | undefined;
  const answer = new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = httpRequest({ host: hostname, port, method, path, headers: { 'content-type': 'application/json' } }, (res) => {
      let received = '';
      res.on('data', (chunk) => {
        received += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: received }));
    });
    req.on('error', (error) => {
      failed = error;
      reject(error);
    });
    req.write(text.slice(0, 5));
    rest = () => req.end(text.slice(5));
  });
  answer.catch(() => {});
  await sleep(100);
  if (failed) throw failed;
  return {
    release() {
      rest?.();
      rest = undefined;
      return answer;
    },
  };
}
