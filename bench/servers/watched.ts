// The engine with its file watcher on, serving `notes` (memory) from a temp project whose
// automations folder the parent rewrites. Prints {url, id, automations}.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../engine/log.ts';
import { listen } from '../../engine/server/listen.ts';
import { benchConfig, NOTE, notesManifest } from './shared.ts';

const root = mkdtempSync(join(tmpdir(), 'council-bench-watch-'));
const automations = join(root, 'automations');
mkdirSync(automations);
writeFileSync(join(automations, 'notes.yaml'), notesManifest('notes'));
writeFileSync(join(automations, 'other.yaml'), notesManifest('other'));
const server = await listen(benchConfig(root), silentLogger, { watch: {} });
const created = await fetch(`${server.url}/notes`, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(NOTE),
});
const { data } = (await created.json()) as { data: { id: string } };
process.stdout.write(`${JSON.stringify({ url: server.url, id: data.id, automations })}\n`);
process.on('SIGTERM', () => void server.close().then(() => process.exit(0)));
