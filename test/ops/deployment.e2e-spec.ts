import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { envSchema } from '../../src/config/env.schema';

/**
 * Docker is not available where the tests run, so the deployment files are checked for
 * structure here (parsed with the `yaml` package): the services, probes, selectors and
 * settings that scale-out depends on, and that every variable they set is one the app reads.
 */
const root = join(__dirname, '..', '..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');
// Read by the Runs module being built in parallel (DESIGN.md 7e); listed so typos still fail.
const PENDING_VARIABLES = ['APP_ROLE', 'RUN_WORKERS'];
const knownVariable = (name: string) => name in envSchema.shape || PENDING_VARIABLES.includes(name);

type Json = ReturnType<typeof JSON.parse>;

describe('docker-compose.yml', () => {
  const compose = parse(read('docker-compose.yml'), { merge: true }) as { services: Record<string, Json> };
  const services = compose.services;
  const appServices = Object.entries(services).filter(([, service]) => service.environment?.DATABASE_URL);

  it('runs two API instances, a worker, PostgreSQL, Redis and a reverse proxy', () => {
    expect(Object.keys(services)).toEqual(expect.arrayContaining(['postgres', 'redis', 'worker', 'proxy']));
    const apis = appServices.filter(([, service]) => service.environment.APP_ROLE === 'api');
    expect(apis.length).toBeGreaterThanOrEqual(2);
    expect(services.worker.environment).toMatchObject({ APP_ROLE: 'worker', RUN_WORKERS: expect.stringMatching(/^\d+$/) });
    expect(services.postgres.healthcheck).toBeDefined();
    expect(services.redis.healthcheck).toBeDefined();
  });

  it('points every app instance at the shared PostgreSQL and Redis, waits for them, and checks its readiness', () => {
    for (const [name, service] of appServices) {
      expect({ name, build: service.build ?? service.image }).toMatchObject({ name, build: expect.anything() });
      expect(service.environment.DATABASE_URL).toMatch(/@postgres:5432\//);
      expect(service.environment.REDIS_URL).toBe('redis://redis:6379');
      expect(service.depends_on).toMatchObject({ postgres: { condition: 'service_healthy' }, redis: { condition: 'service_healthy' } });
      expect(JSON.stringify(service.healthcheck.test)).toContain(`:${service.environment.HEALTH_PORT}/api/ready`);
      for (const variable of Object.keys(service.environment)) expect({ variable, known: knownVariable(variable) }).toEqual({ variable, known: true });
    }
  });

  it('balances the API instances in the proxy by their readiness, without sticky sessions', () => {
    const volume = (services.proxy.volumes as string[]).find((entry) => entry.includes('Caddyfile'))!;
    const caddyfile = read(volume.split(':')[0]);
    for (const [name] of appServices.filter(([, service]) => service.environment.APP_ROLE === 'api')) expect(caddyfile).toContain(`${name}:3000`);
    expect(caddyfile).not.toContain('worker:3000');
    expect(caddyfile).toMatch(/health_uri \/api\/ready/);
    for (const [name, service] of appServices.filter(([, s]) => s.environment.APP_ROLE === 'api')) expect({ name, port: caddyfile.match(/health_port (\d+)/)?.[1] }).toEqual({ name, port: service.environment.HEALTH_PORT });
    expect(caddyfile).toMatch(/flush_interval -1/);
    expect(caddyfile).not.toMatch(/lb_policy (cookie|ip_hash|client_ip_hash)/);
  });
});

describe('deploy/kubernetes', () => {
  const dir = 'deploy/kubernetes';
  const kustomization = parse(read(`${dir}/kustomization.yaml`)) as { resources: string[] };
  const manifests = [...kustomization.resources, 'secret.example.yaml'].flatMap((file) => {
    expect(existsSync(join(root, dir, file))).toBe(true);
    return parseAllDocuments(read(`${dir}/${file}`)).map((doc) => {
      expect(doc.errors).toEqual([]);
      return doc.toJS() as Json;
    });
  });
  const ofKind = (kind: string) => manifests.filter((m) => m.kind === kind);
  const deployments = ofKind('Deployment');
  const secret = ofKind('Secret')[0];
  const configMap = ofKind('ConfigMap')[0];
  const matches = (selector: Record<string, string>, labels: Record<string, string>) => Object.entries(selector).every(([k, v]) => labels[k] === v);

  it('has api and worker Deployments, a Service, PodDisruptionBudgets, a ConfigMap and a Secret', () => {
    for (const manifest of manifests) {
      expect(manifest).toMatchObject({ apiVersion: expect.any(String), kind: expect.any(String), metadata: { name: expect.any(String) } });
    }
    const roles = deployments.map((d) => d.spec.template.spec.containers[0].env.find((e: Json) => e.name === 'APP_ROLE')?.value);
    expect(roles.sort()).toEqual(['api', 'worker']);
    expect(ofKind('Service')).toHaveLength(1);
    expect(ofKind('PodDisruptionBudget').length).toBeGreaterThanOrEqual(1);
    expect(configMap).toBeDefined();
    expect(secret).toBeDefined();
  });

  it('gives every container liveness and readiness probes on /api/live and /api/ready, resource requests and config from the Secret', () => {
    for (const deployment of deployments) {
      expect(deployment.apiVersion).toBe('apps/v1');
      expect(matches(deployment.spec.selector.matchLabels, deployment.spec.template.metadata.labels)).toBe(true);
      for (const container of deployment.spec.template.spec.containers) {
        const portNames = container.ports.map((p: Json) => p.name);
        expect(container.livenessProbe.httpGet.path).toBe('/api/live');
        expect(container.readinessProbe.httpGet.path).toBe('/api/ready');
        expect(portNames).toContain(container.livenessProbe.httpGet.port);
        expect(portNames).toContain(container.readinessProbe.httpGet.port);
        // The probes' port is the one the app serves them on (HEALTH_PORT).
        const probePort = container.ports.find((p: Json) => p.name === container.readinessProbe.httpGet.port).containerPort;
        expect(container.env).toEqual(expect.arrayContaining([{ name: 'HEALTH_PORT', value: String(probePort) }]));
        expect(container.resources.requests).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
        expect(container.envFrom).toEqual(expect.arrayContaining([{ secretRef: { name: secret.metadata.name } }, { configMapRef: { name: configMap.metadata.name } }]));
        for (const { name } of container.env) expect({ name, known: knownVariable(name) }).toEqual({ name, known: true });
      }
      // Long enough for the drain, in-flight requests and final stream events.
      expect(deployment.spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(15);
    }
    for (const name of [...Object.keys(secret.stringData), ...Object.keys(configMap.data)]) expect({ name, known: knownVariable(name) }).toEqual({ name, known: true });
    expect(Object.keys(secret.stringData)).toEqual(expect.arrayContaining(['DATABASE_URL', 'REDIS_URL', 'JWT_SECRET', 'ENCRYPTION_KEY']));
  });

  it('routes the Service to the API pods only, and each budget covers a Deployment', () => {
    const api = deployments.find((d) => d.metadata.name.endsWith('-api'));
    const service = ofKind('Service')[0];
    expect(matches(service.spec.selector, api.spec.template.metadata.labels)).toBe(true);
    const worker = deployments.find((d) => d.metadata.name.endsWith('-worker'));
    expect(matches(service.spec.selector, worker.spec.template.metadata.labels)).toBe(false);
    expect(service.spec.sessionAffinity ?? 'None').toBe('None');
    const apiPorts = api.spec.template.spec.containers[0].ports.map((p: Json) => p.name);
    expect(apiPorts).toContain(service.spec.ports[0].targetPort);
    for (const pdb of ofKind('PodDisruptionBudget')) {
      expect(pdb.apiVersion).toBe('policy/v1');
      expect(pdb.spec.minAvailable ?? pdb.spec.maxUnavailable).toBeDefined();
      expect(deployments.some((d) => matches(pdb.spec.selector.matchLabels, d.spec.template.metadata.labels))).toBe(true);
    }
  });
});
