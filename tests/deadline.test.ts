import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { HttpProblem } from '../engine/errors/problem.ts';
import { withinDeadline } from '../engine/request/deadline.ts';

/** A promise of a Response that the test settles when it likes. */
function pending() {
  let resolve!: (response: Response) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<Response>((yes, no) => {
    resolve = yes;
    reject = no;
  });
  return { promise, resolve, reject };
}

/**
 * Runs `body` while a handle keeps the process up, as a request's socket does in a server:
 * the queue's timer is unreferenced (it must not hold a closed server's process open), so
 * work that never settles would otherwise let the test process end before the deadline.
 */
async function whileConnected<T>(body: () => Promise<T>): Promise<T> {
  const socket = setInterval(() => {}, 1000);
  try {
    return await body();
  } finally {
    clearInterval(socket);
  }
}

describe('withinDeadline (one queue and one timer per timeout length)', () => {
  it('gives the answer or the error of work that settles in time, and never fires later', async () => {
    const late: unknown[] = [];
    const ok = pending();
    const answer = withinDeadline(ok.promise, 60, false, (outcome) => late.push(outcome));
    const response = new Response('x');
    ok.resolve(response);
    assert.equal(await answer, response);
    const failing = pending();
    const failed = withinDeadline(failing.promise, 60, true, (outcome) => late.push(outcome));
    failing.reject(new Error('store said no'));
    await assert.rejects(failed, /store said no/);
    await sleep(120);
    assert.deepEqual(late, [], 'nothing is late');
  });

  it('is a 504 timeout at the deadline, and onLate hears how the work ended', () =>
    whileConnected(async () => {
      const slow = pending();
      const heard: { response?: Response; error?: unknown }[] = [];
      const started = Date.now();
      const answer = withinDeadline(slow.promise, 80, true, (outcome) => heard.push(outcome));
      const error = await answer.catch((e: unknown) => e);
      const waited = Date.now() - started;
      assert.ok(error instanceof HttpProblem && error.status === 504 && error.code === 'timeout', String(error));
      assert.match(error.message, /the write may still be applied/);
      assert.ok(waited >= 75, `fired after ${waited} ms, not before the deadline`);
      const response = new Response('done');
      slow.resolve(response);
      await sleep(10);
      assert.equal(heard[0]?.response, response);
    }));

  it('fires exactly the requests still waiting among many, each once, in order', () =>
    whileConnected(async () => {
      const works = Array.from({ length: 3000 }, () => pending());
      const fired: number[] = [];
      const answers = works.map((work, i) =>
        withinDeadline(work.promise, 50, false).then(
          () => 'answered',
          (error: unknown) => {
            if (error instanceof HttpProblem && error.status === 504) fired.push(i);
            return 'timed out';
          },
        ),
      );
      // Every third one never answers; the rest answer at once (a head that settled is skipped).
      works.forEach((work, i) => {
        if (i % 3 !== 0) work.resolve(new Response(null, { status: 204 }));
      });
      const outcomes = await Promise.all(answers);
      assert.equal(outcomes.filter((o) => o === 'timed out').length, 1000);
      assert.deepEqual(
        fired,
        works.map((_, i) => i).filter((i) => i % 3 === 0),
      );
      // Answering after the 504 changes nothing.
      for (const work of works) work.resolve(new Response(null));
    }));
});
