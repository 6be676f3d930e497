import { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { RouteOptions } from 'fastify';
import { createGatewayApp } from '../../apps/gateway/create-gateway';
import { ERROR_ENTRIES } from '../../libs/errors';
import { appLogDestination } from '../support/app-logs';
import { Harness } from '../support/harness';

/** The document's operations as `METHOD /path/{param}`. */
function documented(document: { paths: Record<string, Record<string, unknown>> }): string[] {
  return Object.entries(document.paths).flatMap(([path, operations]) =>
    Object.keys(operations)
      .filter((key) => ['get', 'put', 'post', 'delete', 'patch'].includes(key))
      .map((method) => `${method.toUpperCase()} ${path}`),
  );
}

const asOpenApiPath = (url: string) => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}').replace(/(.)\/$/, '$1') || '/';
/** The OpenAPI UI and document themselves, and Fastify's automatic HEAD routes, are not API routes. */
const isDocsRoute = (url: string) => /^\/docs(\/|-|$)/.test(url);

describe('OpenAPI document', () => {
  let harness: Harness;
  let gateway: NestFastifyApplication;
  const routes: string[] = [];
  let baseUrl: string;

  beforeAll(async () => {
    harness = await Harness.start({ gateway: false, worker: false });
    gateway = await createGatewayApp(harness.config, { logDestination: appLogDestination() });
    // Every route the app registers, as Fastify sees it (Nest registers its routes on init).
    gateway
      .getHttpAdapter()
      .getInstance()
      .addHook('onRoute', (route: RouteOptions) => {
        for (const method of [route.method].flat()) {
          if (method !== 'HEAD' && !isDocsRoute(route.url)) routes.push(`${method} ${asOpenApiPath(route.url)}`);
        }
      });
    await gateway.listen(0, '127.0.0.1');
    baseUrl = await gateway.getUrl();
  });
  afterAll(async () => {
    await gateway?.close();
    await harness?.stop();
  });

  async function document(): Promise<any> {
    const response = await fetch(`${baseUrl}/docs/json`);
    expect(response.status).toBe(200);
    expect(response.headers.get('x-api-uuid')).toMatch(/^[0-9a-f-]{36}$/);
    return response.json();
  }

  it('is served without authentication, with its UI at /docs', async () => {
    const doc = await document();
    expect(doc.openapi).toMatch(/^3\./);
    expect(doc.info.version).toBe('1.0.0');
    const ui = await fetch(`${baseUrl}/docs`);
    expect(ui.status).toBe(200);
    expect(await ui.text()).toMatch(/swagger/i);
  });

  it('serves /docs, its assets and its documents with a CSP forbidding framing, and X-Frame-Options DENY', async () => {
    const paths = ['/docs', '/docs/', '/docs/index.html', '/docs/swagger-ui-bundle.js', '/docs/swagger-ui.css', '/docs/swagger-ui-init.js'];
    for (const path of [...paths, '/docs/json', '/docs/yaml', '/docs/no-such-file.js']) {
      const response = await fetch(`${baseUrl}${path}`);
      expect({ path, ok: paths.includes(path) ? response.status === 200 : true }).toEqual({ path, ok: true });
      const csp = response.headers.get('content-security-policy') ?? '';
      expect({ path, csp }).toEqual({ path, csp: expect.stringContaining("frame-ancestors 'none'") });
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toMatch(/unsafe-eval|script-src[^;]*unsafe-inline|\*/);
      expect(response.headers.get('x-frame-options')).toBe('DENY');
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      await response.arrayBuffer();
    }
    // Only the docs: the API's own answers are not given the page's policy.
    expect((await fetch(`${baseUrl}/1/status/admin/webhooks`)).headers.get('x-frame-options')).toBeNull();
  });

  it('lists every route the app registers, and nothing else', async () => {
    const doc = await document();
    expect(routes.length).toBeGreaterThan(15);
    expect(new Set(documented(doc))).toEqual(new Set(routes));
  });

  it('describes Basic auth, the error schema and the codes of each endpoint, and the headers of every response', async () => {
    const doc = await document();
    expect(doc.components.securitySchemes.basic).toMatchObject({ type: 'http', scheme: 'basic' });
    expect(doc.components.schemas.ApiErrorBody.required).toEqual(expect.arrayContaining(['error', 'message', 'uuid']));

    const deploy = doc.paths['/1/deploy'].post;
    expect(deploy.security).toEqual([{ basic: [] }]);
    const codes = (status: number) => deploy.responses[status].description as string;
    expect(codes(400)).toContain('`deploy:no_payload`');
    expect(codes(400)).toContain('`deploy:provider:not_supported`');
    expect(codes(401)).toContain('`deploy:auth:bad_creds`');
    expect(codes(401)).toContain('`deploy:auth:bad_signature`');
    expect(codes(413)).toContain('`deploy:payload:too_large`');
    expect(codes(503)).toContain('`deploy:db:failed_to_store_payload`');
    expect(codes(503)).toContain('`deploy:temporal:unavailable`');
    expect(deploy.responses[401].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/ApiErrorBody' });
    const headers = deploy.parameters.filter((p: { in: string }) => p.in === 'header').map((p: { name: string }) => p.name);
    expect(headers).toEqual(
      expect.arrayContaining(['X-GitHub-Event', 'X-GitHub-Delivery', 'X-Hub-Signature-256', 'Travis-Repo-Slug', 'Signature']),
    );
    expect(Object.keys(deploy.requestBody.content)).toEqual(
      expect.arrayContaining(['application/json', 'application/x-www-form-urlencoded']),
    );

    const status = doc.paths['/1/status/{user}/webhooks'].get.responses;
    expect(status[401].description).toContain('`mw:auth:not_you`');
    expect(status[404].description).toContain('`status:db:not_found`');
    expect(status[500].description).toEqual(expect.stringContaining('`status:db:query_fail`'));
    expect(status[500].description).toEqual(expect.stringContaining('`mw:auth:auth_server_down`'));
    const feed = doc.paths['/1/status/{user}/changes'].get.responses;
    expect(feed[408].description).toContain('`status:changes:timeout`');
    const github = doc.paths['/1/auth/github'].post;
    expect(github.responses[400].description).toContain('`auth:github:bad_credentials`');
    expect(github.requestBody.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/GithubAuthBodyDto' });
    expect(doc.components.schemas.AppDto.properties.target).toBeDefined();
    expect(doc.paths['/metrics'].get.security).toEqual([]); // public, declared so (Redocly's security-defined)

    for (const [path, operations] of Object.entries<Record<string, { responses: Record<string, { headers?: object }> }>>(doc.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        for (const [code, response] of Object.entries(operation.responses)) {
          expect([`${method} ${path} ${code}`, Object.keys(response.headers ?? {})]).toEqual([
            `${method} ${path} ${code}`,
            expect.arrayContaining(['x-api-uuid', 'x-api-version']),
          ]);
        }
        expect(operation.responses['500']).toBeDefined();
      }
    }
  });

  it('lists only catalogue codes, each under its catalogue status', async () => {
    const doc = await document();
    const statusOf = new Map<string, number | undefined>(
      ERROR_ENTRIES.map((entry) => [entry.code, 'status' in entry ? entry.status : undefined]),
    );
    const listed: string[] = [];
    const wrong: string[] = [];
    for (const [path, operations] of Object.entries<Record<string, { responses: Record<string, { description?: string }> }>>(doc.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        for (const [status, response] of Object.entries(operation.responses)) {
          if (Number(status) < 400) continue;
          for (const [, code] of (response.description ?? '').matchAll(/`([^`]+)`/g)) {
            listed.push(code);
            if (statusOf.get(code) !== Number(status))
              wrong.push(`${method} ${path} ${status}: ${code} (catalogue: ${statusOf.has(code) ? statusOf.get(code) : 'no such code'})`);
          }
        }
      }
    }
    expect(listed.length).toBeGreaterThan(100);
    expect(wrong).toEqual([]);
  });
});
