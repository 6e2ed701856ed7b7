import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import spectralCore, { type ISpectralDiagnostic } from '@stoplight/spectral-core';
import Parsers from '@stoplight/spectral-parsers';
import { oas } from '@stoplight/spectral-rulesets';
import { compileAutomation } from '../engine/compile/compile.ts';
import { connectionBackends, loadConfig } from '../engine/config/load.ts';
import { silentLogger } from '../engine/log.ts';
import { loadManifests } from '../engine/manifest/load.ts';
import { buildOpenApi } from '../engine/openapi/index.ts';
import { listen, type RunningServer } from '../engine/server/listen.ts';
import { automationOpenApi } from '../engine/server/openapi-view.ts';
import { call } from './support/project.ts';
import { referencePlans } from './support/reference-manifests.ts';

/**
 * Spectral's own OpenAPI ruleset (`spectral:oas`, every rule, not only the recommended
 * ones) over every document the engine publishes: `/openapi.json` and each example
 * automation's own document, served by a real server, and the documents of the test
 * fixtures. No error may remain. The warnings left are the `info` fields the engine has
 * no source for (a contact and a license are the operator's to give); any other warning
 * fails the test.
 */
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const { Spectral, Document } = spectralCore;

/** Warnings accepted, each with why. */
const ACCEPTED_WARNINGS: Readonly<Record<string, string>> = {
  'info-contact': 'the engine knows no contact for an API; nothing in the config names one',
  'info-license': 'nor a license',
  'license-url': 'nor a license URL',
};

async function lint(doc: unknown): Promise<ISpectralDiagnostic[]> {
  const spectral = new Spectral();
  spectral.setRuleset({ extends: [[oas, 'all']] } as never);
  return spectral.run(new Document(JSON.stringify(doc), Parsers.Json));
}

function summary(found: readonly ISpectralDiagnostic[]): string {
  return found.map((d) => `${d.code} at ${d.path.join('.')}: ${d.message}`).join('\n');
}

/** Severity 0 is an error, 1 a warning. */
function assertClean(name: string, found: readonly ISpectralDiagnostic[], t: { diagnostic(message: string): void }): void {
  const errors = found.filter((d) => d.severity === 0);
  assert.deepEqual(errors, [], `${name}: spectral:oas errors:\n${summary(errors)}`);
  const warnings = found.filter((d) => d.severity === 1);
  const unexpected = warnings.filter((d) => !(String(d.code) in ACCEPTED_WARNINGS));
  assert.deepEqual(unexpected, [], `${name}: unexpected spectral:oas warnings:\n${summary(unexpected)}`);
  t.diagnostic(`${name}: 0 errors, ${warnings.length} accepted warning(s) (${[...new Set(warnings.map((w) => w.code))].join(', ')})`);
}

describe('spectral:oas over every published document', () => {
  let server: RunningServer;
  let dataDir: string;
  before(async () => {
    const { config } = loadConfig(join(ROOT, 'council.config.yaml'));
    assert.ok(config);
    dataDir = mkdtempSync(join(tmpdir(), 'council-spectral-'));
    server = await listen(
      {
        ...config,
        dataDir,
        audit: { enabled: false },
        server: { ...config.server, port: 0, host: '127.0.0.1', publicUrl: 'https://api.council.test' },
      },
      silentLogger,
    );
  });
  after(async () => {
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('the shipped examples: /openapi.json and each automation document', async (t) => {
    const names = server.engine.registry.serving().map((m) => m.plan.name);
    assert.equal(names.length, 7, `all seven examples serve: ${names.join(', ')}`);
    for (const path of ['/openapi.json', ...names.map((name) => `/automations/${name}/openapi.json`)]) {
      const response = await call(server.url, 'GET', path);
      assert.equal(response.status, 200, response.text);
      assertClean(path, await lint(response.json), t);
    }
  });

  it('the valid test fixtures, together and each alone', async (t) => {
    const { config } = loadConfig(join(ROOT, 'council.config.yaml'));
    assert.ok(config);
    const folder = join(ROOT, 'tests', 'fixtures', 'manifests', 'valid');
    // The fixtures name a `cache` memory connection besides the shipped ones.
    const { manifests, issues } = loadManifests([folder], new Map([...connectionBackends(config), ['cache', 'memory']]));
    assert.deepEqual(
      issues.filter((i) => i.severity === 'error'),
      [],
    );
    const plans = manifests.map((m) => compileAutomation(m, { pagination: config.pagination }));
    assert.ok(plans.length >= 5);
    const publicConfig = { ...config, server: { ...config.server, publicUrl: 'https://api.council.test' } };
    const all = buildOpenApi(plans, {
      title: 'fixtures',
      version: '1',
      description: 'Test fixtures.',
      serverUrl: 'https://api.council.test',
    });
    assertClean('fixtures together', await lint(all), t);
    for (const plan of plans) assertClean(plan.name, await lint(automationOpenApi(plan, publicConfig)), t);
  });

  it('automations that refer to each other: expand, relations, reverse lists, together and each alone', async (t) => {
    const { config } = loadConfig(join(ROOT, 'council.config.yaml'));
    assert.ok(config);
    const plans = [...referencePlans().values()];
    const publicConfig = { ...config, server: { ...config.server, publicUrl: 'https://api.council.test' } };
    const all = buildOpenApi(plans, {
      title: 'references',
      version: '1',
      description: 'References.',
      serverUrl: 'https://api.council.test',
    });
    assertClean('references together', await lint(all), t);
    for (const plan of plans) assertClean(plan.name, await lint(automationOpenApi(plan, publicConfig, undefined, plans)), t);
  });
});
