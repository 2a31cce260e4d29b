import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { buildConfig } from '../src/config/load-config';
import { CLOSE_DEADLINE_MS } from '../src/health/shutdown-state';
import { runCli } from './support/run-cli';
import { startTestApp, type TestApp } from './support/test-app';
import { testEnvironment } from './support/test-environment';

const ROOT = join(__dirname, '..');
const K8S = join(ROOT, 'deploy', 'k8s');

type Manifest = {
  kind: string;
  metadata: { name: string };
  data?: Record<string, string>;
  spec?: any;
};

function manifests(): Manifest[] {
  return readdirSync(K8S)
    .filter((file) => file.endsWith('.yaml'))
    .flatMap((file) =>
      parseAllDocuments(readFileSync(join(K8S, file), 'utf8')).map((document) => {
        expect([file, document.errors]).toEqual([file, []]);
        return document.toJS() as Manifest;
      }),
    );
}

describe('deploy/k8s', () => {
  const all = manifests();
  const byKind = (kind: string): Manifest[] => all.filter((manifest) => manifest.kind === kind);
  const cronJobNamed = (name: string): Manifest =>
    byKind('CronJob').find((manifest) => manifest.metadata.name === name)!;
  const [deployment] = byKind('Deployment');
  const container = deployment.spec.template.spec.containers[0];
  const configMap = byKind('ConfigMap')[0].data!;
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });

  afterAll(async () => {
    await t.close();
  });

  it('parses, and holds every object a deployment needs', () => {
    expect(all.map((manifest) => manifest.kind).sort()).toEqual(
      [
        'ConfigMap',
        'CronJob',
        'CronJob',
        'Deployment',
        'HorizontalPodAutoscaler',
        'Job',
        'PersistentVolumeClaim',
        'PodDisruptionBudget',
        'Secret',
        'Secret',
        'Secret',
        'Service',
      ].sort(),
    );
  });

  it("configures a valid app: the ConfigMap passes the app's own validation in production", () => {
    const secret = byKind('Secret').find(
      (manifest) => manifest.metadata.name === 'model-chatbot',
    ) as unknown as { stringData: Record<string, string> };
    const config = buildConfig({ ...configMap, ...secret.stringData });
    expect(config.env).toBe('production');
    expect(config.postgres.migrationsRun).toBe(false);
  });

  it('describes each mode in the ConfigMap with settings that pass validation: pooler, read replicas, Redis Cluster, Sentinel', () => {
    // Consecutive commented `KEY: value` lines form one alternative to the values in force.
    const alternatives: Array<Record<string, string>> = [];
    let current: Record<string, string> | null = null;
    for (const line of readFileSync(join(K8S, 'configmap.yaml'), 'utf8').split('\n')) {
      const setting = /^\s*#\s+([A-Z][A-Z0-9_]+): (.+)$/.exec(line);
      if (!setting) {
        current = null;
        continue;
      }
      if (!current) alternatives.push((current = {}));
      current[setting[1]] = String(parseAllDocuments(`v: ${setting[2]}`)[0].toJS().v);
    }
    const secret = byKind('Secret').find(
      (manifest) => manifest.metadata.name === 'model-chatbot',
    ) as unknown as { stringData: Record<string, string> };
    const configs = alternatives.map((alternative) =>
      buildConfig({ ...configMap, ...secret.stringData, ...alternative }),
    );
    expect(
      configs.map(({ postgres, redis }) => [
        postgres.pooler,
        postgres.readReplicas.length,
        redis?.mode,
      ]),
    ).toEqual([
      ['pgbouncer', 0, 'standalone'],
      ['none', 2, 'standalone'],
      ['none', 0, 'cluster'],
      ['none', 0, 'sentinel'],
    ]);
  });

  it('exposes the port the app listens on, and the Service targets it', () => {
    const { port } = buildConfig({ ...configMap, AUTH_JWT_SECRET: 'x'.repeat(32) });
    expect(container.ports).toEqual([{ name: 'http', containerPort: port }]);
    const [service] = byKind('Service');
    expect(service.spec.ports[0].targetPort).toBe('http');
    expect(deployment.spec.template.metadata.annotations['prometheus.io/port']).toBe(String(port));
  });

  it('probes routes the app really serves, on its port: liveness checks nothing, readiness the database', async () => {
    for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe']) {
      const { path, port } = container[probe].httpGet;
      expect([probe, port]).toEqual([probe, 'http']);
      const response = await t.http.get(path);
      expect([probe, path, response.status]).toEqual([probe, path, 200]);
    }
    expect(container.livenessProbe.httpGet.path).toBe('/health/live');
    expect(container.readinessProbe.httpGet.path).toBe('/health/ready');
    expect(deployment.spec.template.metadata.annotations['prometheus.io/path']).toBe('/metrics');
    expect((await t.http.get('/metrics')).status).toBe(200);
  });

  it('gives SIGTERM longer than the drain and the close together', () => {
    const drainMs = Number(configMap.SHUTDOWN_DRAIN_MS);
    expect(deployment.spec.template.spec.terminationGracePeriodSeconds * 1000).toBeGreaterThan(
      drainMs + CLOSE_DEADLINE_MS,
    );
  });

  it('runs as non-root with resource requests, and migrates once per release as the owner role', () => {
    expect(deployment.spec.template.spec.securityContext.runAsNonRoot).toBe(true);
    expect(container.resources.requests).toEqual({
      cpu: expect.any(String),
      memory: expect.any(String),
    });
    const [job] = byKind('Job');
    const migrate = job.spec.template.spec.containers[0];
    expect(migrate.command).toEqual(['node', 'dist/src/cli/db-setup.js']);
    expect(
      migrate.envFrom.map((source: { secretRef?: { name: string } }) => source.secretRef?.name),
    ).toContain('model-chatbot-migrator');
    const [hpa] = byKind('HorizontalPodAutoscaler');
    expect(hpa.spec.scaleTargetRef.name).toBe(deployment.metadata.name);
    const [pdb] = byKind('PodDisruptionBudget');
    expect(pdb.spec.selector.matchLabels).toEqual(deployment.spec.selector.matchLabels);
  });

  it('backs up nightly with the command the README shows, onto its volume, and that command passes its drill', async () => {
    const cronJob = cronJobNamed('model-chatbot-backup');
    expect(cronJob.spec.schedule).toMatch(/^(\S+ ){4}\S+$/);
    expect(cronJob.spec.concurrencyPolicy).toBe('Forbid');
    const pod = cronJob.spec.jobTemplate.spec.template.spec;
    const [backup] = pod.containers;
    const [node, script, ...args] = backup.command as string[];
    expect([node, script]).toEqual(['node', 'dist/src/cli/db-backup.js']);
    expect(args).toEqual(expect.arrayContaining(['--keep', '--verify-after']));
    const packageJson = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    expect(packageJson.scripts['db:backup']).toContain('src/cli/db-backup.ts');

    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('### Backups'), readme.indexOf('### Tuning'));
    expect(section).toContain(`\n${backup.command.join(' ')}\n`);
    expect(section).toContain(`\`npm run db:backup -- ${args.join(' ')}\``);
    expect(section).toContain(`schedule: "${cronJob.spec.schedule}"`);

    const env = Object.fromEntries(
      backup.env.map((variable: { name: string; value: string }) => [
        variable.name,
        variable.value,
      ]),
    );
    const mountOf = (path: string): string =>
      backup.volumeMounts.find((mount: { mountPath: string }) => mount.mountPath === path).name;
    const volume = (name: string): any =>
      pod.volumes.find((candidate: { name: string }) => candidate.name === name);
    const [claim] = byKind('PersistentVolumeClaim');
    expect(volume(mountOf(env.BACKUP_DIR)).persistentVolumeClaim.claimName).toBe(
      claim.metadata.name,
    );
    expect(volume(mountOf(env.BACKUP_METRICS_DIR)).hostPath.path).toBe(env.BACKUP_METRICS_DIR);
    expect(
      backup.envFrom.map((source: { secretRef?: { name: string } }) => source.secretRef?.name),
    ).toContain('model-chatbot-migrator');
    const secret = byKind('Secret').find(
      (manifest) => manifest.metadata.name === 'model-chatbot',
    ) as unknown as { stringData: Record<string, string> };
    const config = buildConfig({ ...configMap, ...secret.stringData, ...env });
    expect([config.backupDir, config.backupMetricsDir]).toEqual([
      env.BACKUP_DIR,
      env.BACKUP_METRICS_DIR,
    ]);

    const dir = await mkdtemp(join(tmpdir(), 'chatbot-cronjob-'));
    try {
      const { postgres } = testEnvironment();
      const result = await runCli('db-backup.ts', args, {
        POSTGRES_HOST: postgres.host,
        POSTGRES_PORT: String(postgres.port),
        POSTGRES_USER: postgres.user,
        POSTGRES_PASSWORD: postgres.password,
        POSTGRES_DB: t.db.name,
        BACKUP_DIR: join(dir, 'backups'),
        BACKUP_METRICS_DIR: join(dir, 'textfile'),
      });
      expect([result.code, result.stderr]).toEqual([0, '']);
      expect(result.stdout).toContain('drill passed');
      expect((await readdir(join(dir, 'textfile'))).sort()).toEqual([
        `chatbot_backup_${t.db.name}.prom`,
        `chatbot_backup_drill_${t.db.name}.prom`,
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('purges on a schedule with the compiled db:purge, one run at a time, as the runtime role', () => {
    const cronJob = cronJobNamed('model-chatbot-purge');
    expect(cronJob.spec.concurrencyPolicy).toBe('Forbid');
    const pod = cronJob.spec.jobTemplate.spec.template.spec;
    const [purge] = pod.containers;
    expect(purge.command).toEqual(['node', 'dist/src/cli/db-purge.js']);
    expect(purge.image).toBe(container.image);
    const secrets = purge.envFrom.map(
      (source: { secretRef?: { name: string } }) => source.secretRef?.name,
    );
    expect(secrets).toContain('model-chatbot');
    expect(secrets).not.toContain('model-chatbot-migrator');
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(pod.restartPolicy).toBe('Never');
    // The image holds the compiled command the manifest names.
    expect(readFileSync(join(ROOT, 'Dockerfile'), 'utf8')).toContain(
      'COPY --from=build /app/dist ./dist',
    );
    expect(readFileSync(join(ROOT, 'tsconfig.build.json'), 'utf8')).toContain('"src/**/*"');
  });
});

describe('Dockerfile', () => {
  const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');

  it('builds in stages, installs production dependencies only, runs as non-root, and checks health', () => {
    expect(dockerfile.match(/^FROM /gm)).toHaveLength(2);
    expect(dockerfile).toContain('npm ci --omit=dev');
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK .*\n.*\/health\/ready/m);
    expect(dockerfile).toContain('CMD ["node", "dist/src/main.js"]');
  });

  it("ships pg_dump and pg_restore of the server's major version in the image the backup CronJob runs", () => {
    const runtime = dockerfile.slice(dockerfile.lastIndexOf('FROM '));
    expect(runtime).toMatch(/apt-get install -y --no-install-recommends postgresql-client-15\b/);
    const all = manifests();
    const cronJob = all.find(
      (manifest) =>
        manifest.kind === 'CronJob' && manifest.metadata.name === 'model-chatbot-backup',
    )!;
    const deployment = all.find((manifest) => manifest.kind === 'Deployment')!;
    const [backup] = cronJob.spec.jobTemplate.spec.template.spec.containers;
    expect(backup.image).toBe(deployment.spec.template.spec.containers[0].image);
  });
});
