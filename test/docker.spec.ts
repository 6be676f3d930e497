import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { NODE_FLAGS } from '../tools/stack/apps';
import { TEMPORAL_SERVER_VERSION } from '../tools/stack/temporal-cluster';

/**
 * docker-compose.yml and the Dockerfile stay on supported images and in step with the product's
 * settings: Docker is not needed to run this (pure: reads and parses the files).
 */
const ROOT = join(__dirname, '..');
interface Service {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  profiles?: string[];
  depends_on?: Record<string, { condition: string; required?: boolean }>;
}
const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, Service> };
const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');

/** The upper-case string literals of the product sources in `dirs`: the settings names they read. */
function settingNames(dirs: string[]): Set<string> {
  const files = dirs.flatMap((dir) =>
    readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
      .filter((file) => file.endsWith('.ts') && !file.endsWith('.spec.ts'))
      .map((file) => join(ROOT, dir, file)),
  );
  // A setting's name is a quoted string ('MONGO_URL') or a schema key (`MONGO_URL: setting.url(…)`).
  const name = /['"`]([A-Z][A-Z0-9_]{2,})['"`]|^\s*([A-Z][A-Z0-9_]{2,})\s*:/gm;
  return new Set(files.flatMap((file) => [...readFileSync(file, 'utf8').matchAll(name)].map((m) => m[1] ?? m[2])));
}

describe('docker-compose.yml', () => {
  const services = Object.entries(compose.services);
  const apps = services.filter(([, service]) => service.build !== undefined);

  it('uses no deprecated Temporal image (temporalio/auto-setup is no longer built) and pins every image', () => {
    const images = services.flatMap(([name, service]) => (service.image ? [`${name}: ${service.image}`] : []));
    expect(images.filter((image) => image.includes('temporalio/auto-setup'))).toEqual([]);
    expect(images.filter((image) => !/:[\w.-]+$/.test(image) || image.endsWith(':latest'))).toEqual([]);
    expect(images.some((image) => image.includes('temporalio/'))).toBe(true);
  });

  it('builds the gateway, worker and receiver from the Dockerfile, each running its own compiled main', () => {
    expect(apps.map(([name]) => name).sort()).toEqual(['gateway', 'receiver', 'worker']);
    for (const [name, service] of apps) {
      expect({ name, command: service.command }).toEqual({ name, command: ['node', `dist/apps/${name}/main.js`] });
      expect(existsSync(join(ROOT, 'apps', name, 'main.ts'))).toBe(true);
    }
  });

  it("gives each app only settings its code reads (libs/config and the app's own folder)", () => {
    const unknown = apps.flatMap(([name, service]) => {
      const known = settingNames(['libs/config', `apps/${name}`]);
      return Object.keys(service.environment ?? {})
        .filter((key) => !known.has(key))
        .map((key) => `${name}: ${key}`);
    });
    expect(unknown).toEqual([]);
    expect(Object.keys(compose.services.gateway.environment ?? {})).toContain('MONGO_URL');
  });

  it("publishes only the gateway beyond the host's loopback: Temporal's gRPC and Web UI have no authentication", () => {
    const published = services.flatMap(([name, service]) => (service.ports ?? []).map((port) => `${name} ${port}`));
    expect(published).toEqual(expect.arrayContaining(['temporal 127.0.0.1:7233:7233', 'temporal 127.0.0.1:8233:8233']));
    expect(published.filter((entry) => !entry.startsWith('gateway ') && !/^\S+ 127\.0\.0\.1:/.test(entry))).toEqual([]);
  });
});

describe('docker-compose.yml, profile production', () => {
  const services = compose.services;
  const production = Object.keys(services).filter((name) => services[name].profiles?.includes('production'));

  it("adds Temporal's server on PostgreSQL, its schema job and a namespace job, and nothing else", () => {
    expect(production.sort()).toEqual(['postgresql', 'temporal-namespace', 'temporal-schema', 'temporal-server']);
    // The default stack is what it was: no profile on the dev server, MongoDB or the apps.
    const always = Object.keys(services).filter((name) => !services[name].profiles);
    expect(always.sort()).toEqual(['gateway', 'mongo', 'receiver', 'temporal', 'worker']);
  });

  it("runs Temporal's images at the server version `npm run test:cluster` builds and tests", () => {
    expect(services['temporal-server'].image).toBe(`temporalio/server:${TEMPORAL_SERVER_VERSION}`);
    for (const job of ['temporal-schema', 'temporal-namespace'])
      expect([job, services[job].image]).toEqual([
        job,
        expect.stringMatching(`^temporalio/admin-tools:${TEMPORAL_SERVER_VERSION.replace(/\./g, '\\.')}-`),
      ]);
    expect(services.postgresql.image).toMatch(/^postgres:\d+$/);
    expect(services['temporal-server'].environment).toEqual(expect.objectContaining({ DB: 'postgres12', POSTGRES_SEEDS: 'postgresql' }));
  });

  it("sets up both databases with the server's own SQL tool, then starts the server, then the namespace, then the apps", () => {
    const schema = services['temporal-schema'].command!.join('\n');
    for (const step of [
      'create-database',
      'setup-schema -v 0.0',
      'update-schema --schema-name',
      'temporal temporal_visibility',
      'postgresql/v12/',
    ])
      expect([step, schema.includes(step)]).toEqual([step, true]);
    expect(services['temporal-schema'].depends_on).toEqual({ postgresql: { condition: 'service_healthy' } });
    expect(services['temporal-server'].depends_on).toEqual({ 'temporal-schema': { condition: 'service_completed_successfully' } });
    expect(services['temporal-namespace'].depends_on).toEqual({ 'temporal-server': { condition: 'service_healthy' } });
    expect(services['temporal-namespace'].command!.join('\n')).toMatch(/temporal operator namespace create/);
    // The apps wait for the namespace when the profile is on; without it the job is not there, and not required.
    for (const app of ['gateway', 'worker'])
      expect([app, services[app].depends_on?.['temporal-namespace']]).toEqual([
        app,
        { condition: 'service_completed_successfully', required: false },
      ]);
  });

  it('publishes none of it: the apps reach the server over the compose network', () => {
    expect(production.filter((name) => services[name].ports?.length)).toEqual([]);
  });

  it("lets the host's environment point the apps at it, another cluster or Temporal Cloud (empty: unset)", () => {
    for (const app of ['gateway', 'worker']) {
      const env = services[app].environment ?? {};
      expect([app, env.TEMPORAL_ADDRESS]).toEqual([app, '${TEMPORAL_ADDRESS:-temporal:7233}']);
      for (const name of [
        'TEMPORAL_NAMESPACE',
        'TEMPORAL_API_KEY',
        'TEMPORAL_TLS_CA',
        'TEMPORAL_TLS_CERT',
        'TEMPORAL_TLS_KEY',
        'TEMPORAL_TLS_SERVER_NAME',
      ])
        expect([app, name, env[name]]).toEqual([app, name, expect.stringMatching(new RegExp(`^\\$\\{${name}:-`))]);
    }
  });
});

describe('Dockerfile', () => {
  it('runs the apps with the Node flags the dev stack uses (tools/stack NODE_FLAGS), in its final stage', () => {
    const final = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    const options = /^ENV\s.*\bNODE_OPTIONS=(?:"([^"]*)"|(\S+))/m.exec(final);
    expect(options && (options[1] ?? options[2]).split(/\s+/)).toEqual(NODE_FLAGS);
  });

  it('builds and runs on Node 24 (node:24-bookworm-slim) in every stage', () => {
    const bases = [...dockerfile.matchAll(/^FROM\s+(\S+)/gm)].map((m) => m[1]);
    expect(bases.length).toBeGreaterThan(0);
    expect(bases.filter((base) => base !== 'node:24-bookworm-slim')).toEqual([]);
  });

  it('copies and compiles the product only: no tools/, test/ or bench/, and the production build', () => {
    const copied = [...dockerfile.matchAll(/^COPY\s+(?!--from)(.+)$/gm)].flatMap((m) => m[1].trim().split(/\s+/).slice(0, -1));
    expect(copied.filter((path) => /^(tools|test|bench)\b/.test(path))).toEqual([]);
    expect(dockerfile).toMatch(/RUN npm run build\b/);
    const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .map((line) => line.trim());
    expect(ignored).toEqual(expect.arrayContaining(['tools', 'test', 'bench']));
  });
});
