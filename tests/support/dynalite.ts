import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { requireStore } from './stores.ts';

/**
 * A dynalite server (DynamoDB's HTTP API over an in-memory LevelDB) of this process's
 * own, in a child process on a free loopback port, so every machine with `npm install`
 * tests the DynamoDB adapter over the wire. Tables are ACTIVE as soon as they are created.
 */
export async function startDynalite(): Promise<{ url: string; stop: () => Promise<void> }> {
  const entry = createRequire(import.meta.url).resolve('dynalite');
  const script = `
    const server = require(${JSON.stringify(entry)})({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
    server.listen(0, '127.0.0.1', () => console.log(server.address().port));
    process.on('disconnect', () => process.exit(0));`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  const port = await new Promise<string>((resolve, reject) => {
    let errors = '';
    child.stderr?.on('data', (chunk) => {
      errors += chunk;
    });
    child.stdout?.once('data', (chunk) => resolve(String(chunk).trim()));
    child.once('exit', (code) => reject(new Error(`dynalite exited with ${code}: ${errors.trim().split('\n')[0] ?? ''}`)));
  });
  return { url: `http://127.0.0.1:${port}`, stop: () => stop(child) };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill();
  await exited;
}

/**
 * Starts dynalite for a suite: `{ url, skip, stop }`. If it cannot start, the suite
 * skips saying why, unless COUNCIL_TEST_REQUIRE names dynamodb.
 */
export async function dynaliteGate(): Promise<{ url: string; skip: string | false; stop: () => Promise<void> }> {
  let server: Awaited<ReturnType<typeof startDynalite>> | undefined;
  const gate = await requireStore('dynamodb', async () => {
    server = await startDynalite();
  });
  return { url: server?.url ?? '', skip: gate.skip, stop: async () => server?.stop() };
}
