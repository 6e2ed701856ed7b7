import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Deployment } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Secret, Service } from 'kubernetes-models/v1';
import { parse } from 'yaml';
import { loadConfig } from '../engine/config/load.ts';

/**
 * deploy/kubernetes/ holds what a cluster needs; no cluster runs here, so each manifest is
 * checked against the Kubernetes API's schemas (kubernetes-models: its values, required
 * fields, types) and, for names it does not know (a typo such as `replica:`), against the
 * API's TypeScript types by tsc's excess-property check. The pieces agree with each other
 * and with the engine: the config loads, the kill timeout covers the drain, the probes
 * are the engine's.
 */
const ROOT = fileURLToPath(new URL('../', import.meta.url));
const DIR = join(ROOT, 'deploy/kubernetes');

const MODELS = {
  ConfigMap: { model: ConfigMap, type: 'IConfigMap', from: 'kubernetes-models/v1/ConfigMap' },
  Secret: { model: Secret, type: 'ISecret', from: 'kubernetes-models/v1/Secret' },
  Service: { model: Service, type: 'IService', from: 'kubernetes-models/v1/Service' },
  Deployment: { model: Deployment, type: 'IDeployment', from: 'kubernetes-models/apps/v1/Deployment' },
  HorizontalPodAutoscaler: {
    model: HorizontalPodAutoscaler,
    type: 'IHorizontalPodAutoscaler',
    from: 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler',
  },
  PodDisruptionBudget: {
    model: PodDisruptionBudget,
    type: 'IPodDisruptionBudget',
    from: 'kubernetes-models/policy/v1/PodDisruptionBudget',
  },
} as const;

type Kind = keyof typeof MODELS;
interface Resource {
  readonly file: string;
  readonly kind: Kind;
  readonly body: Record<string, any>;
}

const resources: Resource[] = readdirSync(DIR)
  .filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
  .map((file) => {
    const body = parse(readFileSync(join(DIR, file), 'utf8')) as Record<string, any>;
    return { file, kind: body.kind as Kind, body };
  });
const one = (kind: Kind) => resources.find((r) => r.kind === kind)?.body as Record<string, any>;

describe('deploy/kubernetes', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'council-k8s-'));
  after(() => rmSync(scratch, { recursive: true, force: true }));

  test('holds a Deployment, Service, HorizontalPodAutoscaler, PodDisruptionBudget, ConfigMap and an example Secret', () => {
    assert.deepEqual(resources.map((r) => r.kind).sort(), Object.keys(MODELS).sort());
    const kustomization = parse(readFileSync(join(DIR, 'kustomization.yaml'), 'utf8')) as { resources: string[] };
    for (const file of kustomization.resources) assert.ok(existsSync(join(DIR, file)), `kustomization names ${file}`);
    assert.ok(!kustomization.resources.includes('secret.example.yaml'), 'the example secret is never applied');
  });

  for (const resource of resources) {
    test(`${resource.file} is a valid ${resource.kind} by the Kubernetes API schema`, () => {
      const { model } = MODELS[resource.kind];
      assert.doesNotThrow(() => new model(resource.body as never).validate());
    });
  }

  test('a value the API refuses is caught (the check can fail)', () => {
    const broken = structuredClone(one('Deployment'));
    broken.spec.replicas = 'three';
    assert.throws(() => new Deployment(broken as never).validate(), /replicas must be integer/);
  });

  test('no field is named wrong: each manifest is its API type to tsc (excess properties are errors)', () => {
    const lines = resources.map((r, i) => {
      const { type, from } = MODELS[r.kind];
      return `import type { ${type} as T${i} } from '${from}';\nexport const r${i}: T${i} = ${JSON.stringify(r.body)};`;
    });
    // A planted typo, which tsc must report: proof that the check reads the manifests.
    const typo = structuredClone(one('Deployment'));
    typo.spec.replica = 3;
    lines.push(
      `import type { IDeployment as Typo } from 'kubernetes-models/apps/v1/Deployment';\nexport const typo: Typo = ${JSON.stringify(typo)};`,
    );
    const file = join(ROOT, `tests/.k8s-check-${process.pid}.ts`);
    writeFileSync(file, lines.join('\n'));
    try {
      const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
      let output = '';
      try {
        execFileSync(
          process.execPath,
          [
            tsc,
            '--noEmit',
            '--strict',
            '--module',
            'nodenext',
            '--moduleResolution',
            'nodenext',
            '--target',
            'es2022',
            '--skipLibCheck',
            file,
          ],
          {
            cwd: ROOT,
            encoding: 'utf8',
          },
        );
      } catch (error) {
        output = String((error as { stdout?: string }).stdout ?? error);
      }
      const errors = output.split('\n').filter((l) => l.includes('error TS'));
      assert.equal(errors.length, 1, `only the planted typo is an error:\n${output}`);
      assert.match(errors[0] ?? '', /replica\W* does not exist in type 'IDeploymentSpec'/);
    } finally {
      rmSync(file, { force: true });
    }
  });

  test('the ConfigMap holds a council.config.yaml that loads, with every connection from the Secret', () => {
    const text = one('ConfigMap').data['council.config.yaml'] as string;
    const file = join(scratch, 'council.config.yaml');
    writeFileSync(file, text);
    const secret = one('Secret').stringData as Record<string, string>;
    const { config, issues } = loadConfig(file, secret);
    assert.deepEqual(issues, []);
    assert.ok(config);
    assert.equal(config.connections.get('postgres')?.url, secret.DATABASE_URL);
    assert.equal(config.connections.get('redis')?.url, secret.REDIS_URL);
    assert.equal(config.console.mode, 'readonly', 'no instance writes its own copy of the manifests');
    assert.equal(config.automations, '/git/current/automations');
    // The system store (keys, audit, analytics) is the PostgreSQL server: nothing embedded, so
    // instances hold no state of their own. (The built-in connections a manifest does not name
    // stay unused; NODE_ENV=production refuses to serve one without a URL.)
    assert.ok(!config.connections.get('postgres')?.url?.startsWith('$'));
  });

  test("docker-compose's fleet profile: three instances of one config that loads, behind nginx", () => {
    const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
      services: Record<string, { profiles?: string[]; command?: string[]; volumes?: string[]; environment?: Record<string, string> }>;
    };
    const fleet = Object.entries(compose.services).filter(([, s]) => s.profiles?.includes('fleet'));
    assert.deepEqual(fleet.map(([name]) => name).sort(), ['engine-1', 'engine-2', 'engine-3', 'nginx']);
    const engines = fleet.filter(([name]) => name.startsWith('engine-')).map(([, s]) => s);
    for (const engine of engines) assert.deepEqual(engine, engines[0], 'the instances are alike');
    const nginx = readFileSync(join(ROOT, 'deploy/compose/nginx.conf'), 'utf8');
    for (const name of ['engine-1', 'engine-2', 'engine-3']) assert.match(nginx, new RegExp(`server ${name}:8080[ ;]`));
    // nginx itself reads the file (the instances' names made local: no compose network here).
    if (existsSync('/usr/sbin/nginx')) {
      const prefix = join(scratch, 'nginx');
      mkdirSync(join(prefix, 'logs'), { recursive: true });
      writeFileSync(join(prefix, 'site.conf'), nginx.replace(/engine-\d/g, '127.0.0.1').replace('listen 80;', 'listen 127.0.0.1:1;'));
      writeFileSync(
        join(prefix, 'nginx.conf'),
        `pid ${prefix}/nginx.pid;\nerror_log ${prefix}/logs/error.log;\nevents {}\nhttp {\n  access_log off;\n  include ${prefix}/site.conf;\n}\n`,
      );
      const checked = spawnSync('/usr/sbin/nginx', ['-t', '-c', join(prefix, 'nginx.conf'), '-p', prefix], { encoding: 'utf8' });
      assert.equal(checked.status, 0, checked.stderr);
    }
    const file = join(scratch, 'council.fleet.yaml');
    writeFileSync(file, readFileSync(join(ROOT, 'deploy/compose/council.fleet.yaml'), 'utf8'));
    const { config, issues } = loadConfig(file, engines[0]?.environment ?? {});
    assert.deepEqual(issues, []);
    assert.equal(config?.connections.get('postgres')?.url, engines[0]?.environment?.DATABASE_URL);
    assert.equal(config?.console.mode, 'readonly');
  });

  test('the pieces agree: kill timeout above the drain, probes and port the engine serves, secrets from the Secret', () => {
    const text = one('ConfigMap').data['council.config.yaml'] as string;
    const server = (parse(text) as { server: { port: number; shutdownGraceSeconds: number; shutdownTimeoutSeconds: number } }).server;
    const pod = one('Deployment').spec.template.spec;
    assert.ok(pod.terminationGracePeriodSeconds > server.shutdownGraceSeconds + server.shutdownTimeoutSeconds);
    const engine = pod.containers.find((c: { name: string }) => c.name === 'council');
    assert.equal(engine.ports[0].containerPort, server.port);
    assert.equal(engine.readinessProbe.httpGet.path, '/readyz');
    assert.equal(engine.livenessProbe.httpGet.path, '/livez');
    // Two readiness periods fit in the grace: the Service stops routing here before the port closes.
    assert.ok(server.shutdownGraceSeconds >= 2 * engine.readinessProbe.periodSeconds);
    assert.equal(engine.securityContext.readOnlyRootFilesystem, true);
    assert.equal(pod.securityContext.runAsNonRoot, true);
    const secretName = one('Secret').metadata.name;
    for (const variable of ['DATABASE_URL', 'REDIS_URL']) {
      const env = engine.env.find((e: { name: string }) => e.name === variable);
      assert.equal(env.valueFrom.secretKeyRef.name, secretName);
    }
    assert.ok(
      engine.volumeMounts.some((m: { mountPath: string }) => m.mountPath === '/git'),
      'the engine reads the git-sync checkout',
    );
    assert.deepEqual(one('Service').spec.selector, one('Deployment').spec.selector.matchLabels);
    assert.deepEqual(one('PodDisruptionBudget').spec.selector.matchLabels, one('Deployment').spec.selector.matchLabels);
    assert.equal(one('HorizontalPodAutoscaler').spec.scaleTargetRef.name, one('Deployment').metadata.name);
  });
});
