import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { silentLogger } from '../engine/log.ts';
import { listen, type RunningServer } from '../engine/server/listen.ts';
import { adminHeaders, call, makeProject, type TestProject } from './support/project.ts';
import { promtool, promtoolGate } from './support/promtool.ts';

const FOLDER = fileURLToPath(new URL('../documents/monitoring/', import.meta.url));
const skip = promtoolGate();

interface Panel {
  id: number;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  targets: { expr: string; refId: string }[];
}
const dashboard = JSON.parse(readFileSync(join(FOLDER, 'grafana-dashboard.json'), 'utf8')) as {
  uid: string;
  panels: Panel[];
  templating: { list: { name: string; query: { query: string } }[] };
};
const alerts = readFileSync(join(FOLDER, 'alerts.yml'), 'utf8');
/** The dashboard's queries with Grafana's variables given values, as Grafana sends them. */
const queries = dashboard.panels.flatMap((p) =>
  p.targets.map((t) => t.expr.replaceAll('$__rate_interval', '1m').replaceAll('$__range', '6h').replaceAll('$automation', '.*')),
);

describe('the alert rules and the Grafana dashboard in documents/monitoring', () => {
  it('promtool loads the alert rules, and each fires on its unit test series and not before', { skip }, () => {
    const checked = promtool(['check', 'rules', 'alerts.yml'], undefined, FOLDER);
    assert.equal(checked.status, 0, checked.output);
    assert.match(checked.output, /SUCCESS: 5 rules found/);
    const tested = promtool(['test', 'rules', 'alerts.test.yml'], undefined, FOLDER);
    assert.equal(tested.status, 0, tested.output);
  });

  it('every dashboard query is PromQL that Prometheus parses', { skip }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'council-dashboard-'));
    try {
      const rules = queries.map((expr, i) => `      - record: dashboard:query_${i}\n        expr: ${JSON.stringify(expr)}`).join('\n');
      writeFileSync(join(dir, 'queries.yml'), `groups:\n  - name: dashboard\n    rules:\n${rules}\n`);
      const checked = promtool(['check', 'rules', 'queries.yml'], undefined, dir);
      assert.equal(checked.status, 0, checked.output);
      assert.match(checked.output, new RegExp(`SUCCESS: ${queries.length} rules found`));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the dashboard is one Grafana can import: unique panel ids, panels within the 24-column grid, a target per panel', () => {
    assert.equal(dashboard.uid, 'thecouncil');
    const ids = dashboard.panels.map((p) => p.id);
    assert.equal(new Set(ids).size, ids.length);
    for (const panel of dashboard.panels) {
      assert.ok(panel.gridPos.x + panel.gridPos.w <= 24, panel.title);
      assert.ok(panel.targets.length > 0 && panel.targets.every((t) => t.expr && t.refId), panel.title);
    }
    assert.deepEqual(
      dashboard.templating.list.map((v) => v.name),
      ['automation'],
    );
  });

  describe('against a running engine', () => {
    let project: TestProject;
    let server: RunningServer;
    before(async () => {
      project = makeProject({
        'notes.yaml':
          'name: notes\ndescription: Notes.\naccess: { public: true }\nstorage: { backend: memory }\nschema:\n  type: object\n  properties:\n    text: { type: string }\nendpoints:\n  - operation: list\n',
      });
      server = await listen(project.config(), silentLogger);
      await call(server.url, 'GET', '/notes');
    });
    after(async () => {
      await server?.close();
      project?.remove();
    });

    it('every metric the rules and the dashboard name is one /metrics exposes', async () => {
      const text = (await call(server.url, 'GET', '/metrics', undefined, adminHeaders(server))).text;
      const exposed = new Set(
        [...text.matchAll(/^# TYPE (\S+) (\w+)$/gm)].flatMap(([, name, type]) => (type === 'histogram' ? [`${name}_bucket`] : [name])),
      );
      const named = new Set(
        [...`${alerts}\n${queries.join('\n')}`.matchAll(/\b((?:council|nodejs|process)_\w+)/g)].map((m) => m[1] as string),
      );
      assert.ok(named.size >= 10);
      for (const name of named) assert.ok(exposed.has(name as string), `${name} is not exposed`);
    });
  });
});
