import { applyDecorators, INestApplication, NotFoundException } from '@nestjs/common';
import { ApiBasicAuth, ApiExtension, ApiProperty, ApiResponse, DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import type { OperationObject, SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import type { FastifyInstance } from 'fastify';
import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { Errors, HttpErrorEntry } from '../../libs/errors';
import { API_VERSION } from './http/api-errors';

/** Every error the gateway answers (docs/contract.md#errors): the one shape, whatever the endpoint. */
export class ApiErrorBody {
  @ApiProperty({
    description: 'The error code, e.g. `deploy:no_payload` (listed per response below).',
    example: Errors.mwAuthUnauthorized.code,
  })
  error: string;

  @ApiProperty({ description: 'A sentence for a human.', example: 'That username and password (or API token) do not match our records.' })
  message: string;

  @ApiProperty({ description: 'The x-api-uuid of the request; quote it to support.', format: 'uuid' })
  uuid: string;
}

/** An endpoint's errors, from the catalogue: each is documented under its catalogue status. */
export type ErrorTable = readonly HttpErrorEntry[];

/** The authentication middleware's errors (docs/contract.md#authentication), on every endpoint behind Basic auth. */
export const AUTH_ERRORS: ErrorTable = [
  Errors.mwAuthUnauthorized,
  Errors.mwAuthNotYou,
  Errors.mwAuthNoUsername,
  Errors.mwAuthThrottled,
  Errors.mwAuthAuthServerDown,
];
/** The deploy route answers bad credentials with its own code (docs/contract.md#webhook-intake). */
export const DEPLOY_AUTH_ERRORS: ErrorTable = [
  Errors.deployAuthBadCreds,
  Errors.mwAuthNoUsername,
  Errors.mwAuthThrottled,
  Errors.mwAuthAuthServerDown,
];
/** An endpoint needing a role on an app (docs/contract.md#collaborators): a collaborator whose role is too low. */
export const ROLE_ERRORS: ErrorTable = [Errors.authForbidden];
/** Any endpoint taking a body or query: DTO checks, and the body limit. */
export const REQUEST_ERRORS: ErrorTable = [
  Errors.requestInvalid,
  Errors.requestTooLarge,
  Errors.requestTooLong,
  Errors.requestUnsupportedMediaType,
];

/**
 * Documents an endpoint's error responses: one response per status, the codes listed in its
 * description, the shared `{error, message, uuid}` schema. Tables are merged (auth + endpoint).
 */
export function ApiErrors(...tables: ErrorTable[]): MethodDecorator & ClassDecorator {
  const merged = new Map<number, Set<string>>();
  for (const { status, code } of tables.flat()) merged.set(status, (merged.get(status) ?? new Set<string>()).add(code));
  return applyDecorators(
    ...[...merged.entries()]
      .sort(([a], [b]) => a - b)
      .map(([status, codes]) => ApiResponse({ status, type: ApiErrorBody, description: errorDescription([...codes]) })),
  );
}

/**
 * Basic auth (`user:password` or `user:apiToken`) and every error of the endpoint: the
 * middleware's (`auth`) merged with the endpoint's own tables (one decorator per endpoint, as
 * a second response decorator for the same status would replace the first).
 */
export function ApiBasic(auth: ErrorTable, ...endpoint: ErrorTable[]): MethodDecorator & ClassDecorator {
  return applyDecorators(ApiBasicAuth(BASIC_AUTH), ApiErrors(auth, ...endpoint));
}

/** What a route without Basic auth is marked with; the document declares it `security: []`. */
const PUBLIC = 'x-public';

/**
 * An endpoint anyone may call (a signed webhook, health, metrics, the status page): declared
 * with no security requirement, so an endpoint that forgets ApiBasic is caught by `npm run lint`.
 */
export function ApiPublic(): MethodDecorator & ClassDecorator {
  return ApiExtension(PUBLIC, true) as MethodDecorator & ClassDecorator;
}

function errorDescription(codes: string[]): string {
  return `Error codes: ${codes.map((code) => `\`${code}\``).join(', ')}.`;
}

const BASIC_AUTH = 'basic';

// Response bodies -------------------------------------------------------------------------------

const commit = { type: 'string', example: 'octo-org/app/0123456789abcdef0123456789abcdef01234567', description: '`<owner>/<repo>/<sha>`' };
const errorObject = {
  type: 'object',
  properties: { code: { type: 'string' }, message: { type: 'string' } },
  required: ['code', 'message'],
};

export const SCHEMAS: Record<string, SchemaObject> = {
  deployQueued: {
    type: 'object',
    required: ['id', 'status', 'workflowId', 'uuid'],
    properties: {
      id: { type: 'string', example: 'dep_0123456789abcdef0123' },
      status: {
        type: 'string',
        enum: ['queued', 'waiting_for_ci', 'finished'],
        description: '`finished`: the deployment of this commit has ended already; the delivery ran nothing (see `reason`)',
      },
      workflowId: { type: 'string', example: 'deployment/alice/octo-org/app/0123…' },
      uuid: { type: 'string', format: 'uuid' },
      existing: { type: 'boolean', description: 'true when this delivery named an existing deployment (redelivery, same commit)' },
      reason: { type: 'string', description: 'with `finished`: what happened and how to deploy the commit again' },
    },
  },
  deployIgnored: {
    type: 'object',
    required: ['status', 'reason', 'uuid'],
    properties: {
      status: { type: 'string', enum: ['ignored', 'pong'] },
      reason: { type: 'string' },
      uuid: { type: 'string', format: 'uuid' },
    },
  },
  statusEntry: {
    type: 'object',
    required: ['id', 'uuid', 'user', 'app_name', 'deployment', 'status', 'step', 'provider', 'commit', 'ts'],
    properties: {
      id: { type: 'string' },
      uuid: { type: 'string', format: 'uuid' },
      user: { type: 'string' },
      app_name: { type: 'string' },
      deployment: { type: 'string' },
      status: { type: 'string', enum: ['ok', 'error', 'pending'] },
      step: {
        type: 'string',
        enum: [
          'received',
          'waiting_for_ci',
          'resolve',
          'fetch',
          'inspect',
          'queued',
          'upload',
          'processing',
          'done',
          'activating',
          'verifying',
        ],
      },
      provider: { type: 'string', enum: ['github', 'travis', 'api'] },
      commit,
      message: { type: 'string' },
      error: errorObject,
      ts: { type: 'string', format: 'date-time' },
    },
  },
  deployment: {
    type: 'object',
    description: 'The deployment record, its current step from a workflow query, its status entries and a Temporal UI link.',
    additionalProperties: true,
    properties: {
      id: { type: 'string' },
      workflowId: { type: 'string' },
      workflowStatus: { type: 'string', example: 'COMPLETED' },
      state: { type: 'object', additionalProperties: true },
      steps: { type: 'array', items: { type: 'object', additionalProperties: true } },
      temporalUi: { type: 'string', format: 'uri' },
      retryOf: { type: 'string' },
      delivered: {
        type: 'object',
        description: 'how its code reached the target (docs: contract, ACTIVATE)',
        properties: {
          how: { type: 'string', enum: ['upload', 'activate'] },
          retained: { type: 'boolean', description: 'the package said `retain: true`' },
          receiverRelease: { type: 'string', description: 'the `_doc` of the DEPLOY package that carried its files' },
        },
      },
    },
  },
  deploymentRetry: {
    type: 'object',
    properties: {
      id: { type: 'string', description: 'the new run (or, `existing`, the run of this commit already queued or running)' },
      workflowId: { type: 'string' },
      retryOf: { type: 'string', description: 'the first run of the commit' },
      status: { type: 'string', enum: ['queued'] },
      uuid: { type: 'string', format: 'uuid' },
      existing: { type: 'boolean' },
    },
  },
  undeployment: {
    type: 'object',
    properties: {
      id: { type: 'string', description: 'the undeployment, followed like a deployment' },
      workflowId: { type: 'string' },
      status: {
        type: 'string',
        enum: ['queued', 'finished'],
        description: '`finished`: this app state was removed already; asking again after a failed or canceled attempt starts a new one',
      },
      uuid: { type: 'string', format: 'uuid' },
    },
  },
  deploymentCancel: {
    type: 'object',
    properties: {
      id: { type: 'string' },
      status: { type: 'string', enum: ['cancel_requested'] },
      uuid: { type: 'string', format: 'uuid' },
    },
  },
  app: {
    type: 'object',
    description: 'The app as stored; the webhook secret and target password are never echoed.',
    additionalProperties: true,
    properties: {
      name: { type: 'string' },
      repository: { type: 'string' },
      branch: { type: 'string' },
      target: { type: 'object', additionalProperties: true },
      env: { type: 'object', additionalProperties: { type: 'string' } },
      locked: {
        type: 'object',
        description:
          'Present after a rollback (manual, or automatic after a failed health check: `by` is `health-check`): pushes answer `ignored` until POST …/unlock.',
        properties: {
          release: { type: 'integer' },
          deployment: { type: 'string' },
          by: { type: 'string' },
          at: { type: 'string', format: 'date-time' },
        },
      },
      healthCheck: {
        type: 'object',
        additionalProperties: true,
        description: 'The health-checked bake after each cut-over, every default filled in (docs/contract.md, Verified releases).',
      },
      deployment: {
        type: 'object',
        additionalProperties: true,
        description: 'PATCH …/env with `deploy: true`: the deployment of the new env (as POST …/redeploy answers).',
      },
    },
  },
  preview: {
    type: 'object',
    required: ['app', 'name', 'pr', 'repository', 'fork', 'state', 'reason', 'createdAt', 'updatedAt', 'lastPushAt'],
    properties: {
      app: { type: 'string', description: 'The parent app.' },
      name: { type: 'string', description: 'The preview app, `<app>-pr-<n>`.', example: 'my-app-pr-12' },
      pr: { type: 'integer', minimum: 1 },
      repository: { type: 'string' },
      fork: { type: 'boolean' },
      headRepository: { type: 'string' },
      state: { type: 'string', enum: ['deploying', 'live', 'failed', 'awaiting_approval', 'tearing_down', 'removed', 'teardown_failed'] },
      reason: { type: 'string', description: 'What the state means now: what it waits for, why it was removed.' },
      head: {
        type: 'object',
        properties: { sha: { type: 'string' }, ref: { type: 'string' }, deployment: { type: 'string' } },
      },
      removedBecause: { type: 'string', enum: ['closed', 'ttl', 'reconciled'] },
      createdAt: { type: 'string', format: 'date-time' },
      updatedAt: { type: 'string', format: 'date-time' },
      lastPushAt: { type: 'string', format: 'date-time' },
      removedAt: { type: 'string', format: 'date-time' },
      approval: {
        type: 'object',
        description: "The latest approval of a fork's head: who approved which head, when, and why.",
        properties: {
          by: { type: 'string' },
          sha: { type: 'string' },
          at: { type: 'string', format: 'date-time' },
          comment: { type: 'string' },
        },
      },
    },
  },
  release: {
    type: 'object',
    properties: {
      version: { type: 'integer', example: 3, description: 'N of vN, per app from 1' },
      deployment: { type: 'string', description: 'the deployment that made it' },
      repository: { type: 'string' },
      commit: { type: 'string' },
      appVersion: { type: 'string', description: "package.json's version" },
      envDigest: {
        type: 'string',
        description:
          '`hmac-sha256:<hex>` of the env delivered with it, keyed by a key derived from ENCRYPTION_KEY (releases made before show `sha256:<hex>`)',
      },
      cause: {
        type: 'string',
        enum: ['push', 'travis', 'github', 'retry', 'rollback', 'redeploy', 'env', 'promote', 'auto-rollback', 'pipeline'],
      },
      by: { type: 'string', description: 'a user, `token:<name>`, or `webhook:<github|travis>`' },
      createdAt: { type: 'string', format: 'date-time' },
      live: { type: 'boolean', description: 'exactly one release is live (none after an UNDEPLOY)' },
      rolledBackTo: { type: 'integer', description: 'cause rollback or auto-rollback: the release whose code it deployed' },
      tarballKept: { type: 'boolean', description: 'among the last RELEASES_KEPT: a rollback to it needs no GitHub' },
      retained: {
        type: 'boolean',
        description: 'its package said `retain: true`: the receiver keeps its files, and a rollback to it sends an ACTIVATE',
      },
      receiverRelease: {
        type: 'string',
        description: "the `_doc` of the DEPLOY package that carried its files (a release made by ACTIVATE: the activated one's)",
      },
      delivered: { type: 'string', enum: ['upload', 'activate'], description: 'how its code reached the target' },
    },
  },
  releaseDeployment: {
    type: 'object',
    properties: {
      id: { type: 'string', description: 'the new deployment, followed like any other' },
      workflowId: { type: 'string' },
      status: { type: 'string', enum: ['queued'] },
      cause: { type: 'string', enum: ['rollback', 'redeploy', 'env'] },
      release: { type: 'integer', description: 'the release whose code it deploys' },
      rolledBackTo: { type: 'integer' },
      uuid: { type: 'string', format: 'uuid' },
    },
  },
  user: { type: 'object', properties: { username: { type: 'string' }, admin: { type: 'boolean' } } },
  tokenCreated: {
    type: 'object',
    properties: {
      id: { type: 'string' },
      name: { type: 'string' },
      token: { type: 'string', description: 'Shown once; stored only as a hash.' },
      createdAt: { type: 'string', format: 'date-time' },
    },
  },
  collaborator: {
    type: 'object',
    required: ['user', 'role'],
    properties: {
      user: { type: 'string' },
      role: { type: 'string', enum: ['viewer', 'deployer', 'approver', 'admin'] },
      by: { type: 'string', description: 'Who gave the role.' },
      at: { type: 'string', format: 'date-time' },
    },
  },
  collaborators: {
    type: 'object',
    required: ['owner', 'app', 'collaborators', 'max', 'changes'],
    properties: {
      owner: { type: 'string' },
      app: { type: 'string' },
      collaborators: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            user: { type: 'string' },
            role: { type: 'string' },
            by: { type: 'string' },
            at: { type: 'string', format: 'date-time' },
          },
        },
      },
      max: { type: 'integer', example: 50 },
      changes: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            action: { type: 'string', enum: ['added', 'changed', 'removed'] },
            user: { type: 'string' },
            role: { type: 'string' },
            by: { type: 'string' },
            at: { type: 'string', format: 'date-time' },
          },
        },
      },
    },
  },
  readableApps: {
    type: 'object',
    required: ['apps'],
    properties: {
      apps: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            user: { type: 'string' },
            name: { type: 'string' },
            role: { type: 'string', enum: ['viewer', 'deployer', 'approver', 'admin'] },
          },
        },
      },
    },
  },
  tokenList: {
    type: 'array',
    items: {
      type: 'object',
      additionalProperties: true,
      properties: { id: { type: 'string' }, name: { type: 'string' }, createdAt: { type: 'string', format: 'date-time' } },
    },
  },
  githubAuth: {
    type: 'object',
    description: "The GitHub login now paired with the caller, and the app it is restricted to (`*`: all of the caller's apps).",
    properties: { user: { type: 'string' }, app: { type: 'string' }, github: { type: 'string' } },
  },
  health: {
    type: 'object',
    properties: {
      status: { type: 'string', enum: ['ok', 'degraded'] },
      checks: {
        type: 'object',
        properties: {
          mongo: { type: 'string', description: '`ok` or the problem' },
          temporal: { type: 'string', description: '`ok` or the problem' },
        },
      },
    },
  },
  feedLine: {
    type: 'object',
    description: 'One line of the feed (NDJSON), or the data of one SSE event; `seq` (SSE `id`) is the resume token.',
    properties: {
      seq: { type: 'string' },
      id: { type: 'string' },
      app_name: { type: 'string' },
      uuid: { type: 'string' },
      status: { type: 'string', enum: ['ok', 'error', 'pending'] },
      provider: { type: 'string' },
      commit,
      doc: { type: 'object', additionalProperties: true, description: 'The full entry, with include_docs=true (or auto, for errors).' },
    },
    additionalProperties: true,
  },
};

// The document ----------------------------------------------------------------------------------

const RESPONSE_HEADERS = {
  'x-api-uuid': {
    description: 'A fresh UUID per request: logged, stored with whatever the request created, quoted in errors.',
    schema: { type: 'string', format: 'uuid' },
  },
  'x-api-version': {
    description: "The API's semantic version; its major is the first path segment.",
    schema: { type: 'string', example: API_VERSION },
  },
};

/**
 * The OpenAPI document of the gateway's routes: every response carries x-api-uuid and
 * x-api-version, and every operation may answer 500 `internal`.
 */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('deploy-webhooks gateway')
    .setDescription(
      'Continuous deployment from GitHub pushes and Travis CI builds. Every error is JSON `{"error", "message", "uuid"}`; ' +
        'the codes each endpoint answers are listed with its responses. Authentication: HTTP Basic, `user:password` or `user:apiToken`.',
    )
    .setVersion(API_VERSION)
    .setLicense('MIT', 'https://opensource.org/licenses/MIT')
    // Relative: the gateway serving this document (its address is deployment-specific).
    .addServer('/', 'This gateway')
    .addBasicAuth({ type: 'http', scheme: 'basic', description: '`user:password` or `user:apiToken`' }, BASIC_AUTH)
    .build();
  const document = SwaggerModule.createDocument(app, config, {
    operationIdFactory: (controllerKey, methodKey) => `${controllerKey.replace(/Controller$/, '')}_${methodKey}`,
  });
  for (const operations of Object.values(document.paths)) {
    for (const method of ['get', 'put', 'post', 'delete', 'patch'] as const) {
      const operation = operations[method];
      if (!operation) continue;
      const marked = operation as OperationObject & { [PUBLIC]?: true };
      if (marked[PUBLIC]) {
        delete marked[PUBLIC];
        operation.security = [];
      }
      const internal = operation.responses['500'] as { description?: string } | undefined;
      if (!internal)
        operation.responses['500'] = {
          description: errorDescription(['internal']),
          content: { 'application/json': { schema: { $ref: '#/components/schemas/ApiErrorBody' } } },
        };
      else if (!internal.description?.includes('`internal`'))
        internal.description = (internal.description ?? '').replace(/\.$/, ', `internal`.');
      for (const response of Object.values(operation.responses) as Array<{ headers?: Record<string, unknown> }>) {
        response.headers = { ...RESPONSE_HEADERS, ...response.headers };
      }
    }
  }
  return document;
}

export const DOCS_PATH = 'docs';
export const DOCS_JSON_PATH = 'docs/json';

/**
 * The policy of `/docs` and everything under it: Swagger UI's page loads only its own scripts and
 * styles and asks only this gateway (Try it out), and no other site may frame it (clickjacking:
 * a framed page could be made to send a signed-in user's requests). Swagger UI's page carries
 * inline `<style>` blocks and style attributes, hence `'unsafe-inline'` for styles only; its
 * icons are `data:` images. docs/reliability.md#tenant-isolation-review.
 */
export const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const UNDER_DOCS = new RegExp(`^/${DOCS_PATH}(?:[/?#]|$)`);

/** Serves the UI at `/docs` and the document at `/docs/json` (and `/docs/yaml`), without authentication. */
export function setupOpenApi(app: INestApplication): void {
  let document: OpenAPIObject | undefined;
  const fastify = app.getHttpAdapter().getInstance() as FastifyInstance;
  fastify.addHook('onSend', async (request, reply, payload) => {
    if (UNDER_DOCS.test(request.url))
      void reply
        .header('content-security-policy', DOCS_CSP)
        .header('x-frame-options', 'DENY')
        .header('x-content-type-options', 'nosniff')
        .header('referrer-policy', 'no-referrer');
    return payload;
  });
  // Swagger UI's files are served by serveSwaggerAssets rather than @fastify/static.
  const withOwnStaticAssets = new Proxy(app, {
    get: (target, property, receiver) =>
      property === 'useStaticAssets' ? serveSwaggerAssets(target) : (Reflect.get(target, property, receiver) as unknown),
  });
  SwaggerModule.setup(DOCS_PATH, withOwnStaticAssets, () => (document ??= buildOpenApiDocument(app)), {
    jsonDocumentUrl: DOCS_JSON_PATH,
    yamlDocumentUrl: 'docs/yaml',
    customSiteTitle: 'deploy-webhooks API',
  });
}

const ASSET_TYPES: Record<string, string> = {
  '.js': 'application/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
  '.html': 'text/html; charset=utf-8',
};

/**
 * What SwaggerModule asks of `useStaticAssets`: the swagger-ui-dist files under the docs path.
 * A fixed list read once; anything else is the usual `request:not_found`. (@fastify/static
 * pulls in an ES-module-only dependency that Jest cannot load.)
 */
function serveSwaggerAssets(app: INestApplication) {
  return (options: { root: string; prefix: string }) => {
    const files = new Set(readdirSync(options.root).filter((file) => ASSET_TYPES[extname(file)] && !file.startsWith('index.')));
    const fastify = app.getHttpAdapter().getInstance() as FastifyInstance;
    fastify.get(`${options.prefix.replace(/\/$/, '')}/:file`, async (request, reply) => {
      const { file } = request.params as { file: string };
      if (!files.has(file)) throw new NotFoundException();
      void reply.type(ASSET_TYPES[extname(file)]).header('cache-control', 'public, max-age=3600');
      return readFile(join(options.root, file));
    });
    return app;
  };
}
