// What the machine is and how busy it was: cores, load, and each core's busy time, so a
// result can say how much of the server's core other work took.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism, cpus, loadavg } from 'node:os';

/** Cores this process may use (what taskset can pin to), and the machine's total. */
export function coreCount(): { usable: number; total: number } {
  return { usable: availableParallelism(), total: cpus().length };
}

/** The 1-minute load average, or NaN where the OS has none. */
export function loadAverage(): number {
  return loadavg()[0] ?? Number.NaN;
}

/** Busy clock ticks (everything but idle and iowait) of each core so far, from /proc/stat. */
export function coreBusyTicks(): Map<number, number> {
  const busy = new Map<number, number>();
  try {
    for (const line of readFileSync('/proc/stat', 'utf8').split('\n')) {
      const match = /^cpu(\d+)\s+(.*)$/.exec(line);
      if (!match) continue;
      const [user, nice, system, , , irq, softirq, steal] = (match[2] ?? '').split(' ').map(Number);
      busy.set(
        Number(match[1]),
        [user, nice, system, irq, softirq, steal].reduce((s: number, x) => s + (x ?? 0), 0),
      );
    }
  } catch {
    // no /proc: the run says the share is unknown
  }
  return busy;
}

/** A free loopback port, for a server that must be started on a known one. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
