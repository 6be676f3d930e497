import { applyDecorators } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiHeader, ApiOperation, ApiParam, ApiProduces, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { Errors } from '../../libs/errors';
import {
  ApiBasic,
  ApiErrors,
  ApiPublic,
  AUTH_ERRORS,
  DEPLOY_AUTH_ERRORS,
  ErrorTable,
  REQUEST_ERRORS,
  ROLE_ERRORS,
  SCHEMAS,
} from './openapi';

/**
 * The OpenAPI description of each gateway endpoint, one decorator per handler, so controllers
 * carry a single line each and the error tables (docs/errors.md) live in one place.
 */
type Decorator = MethodDecorator & ClassDecorator;

/**
 * What any route answers a request that is not valid HTTP (Node's clientError, request-context.ts);
 * listed where an endpoint has no 4xx of its own.
 */
const MALFORMED_REQUEST: ErrorTable = [Errors.requestInvalid];

const limitSkipOf = (defaultLimit: number) => [
  ApiQuery({ name: 'limit', required: false, schema: { type: 'integer', minimum: 1, maximum: 100, default: defaultLimit } }),
  ApiQuery({ name: 'skip', required: false, schema: { type: 'integer', minimum: 0, default: 0 } }),
];
const limitSkip = limitSkipOf(10);

/** What deploying a release's code again can answer (rollback, redeploy). */
const RELEASE_ACTION_ERRORS = [
  Errors.appsNotFound,
  Errors.appsReleaseNotFound,
  Errors.appsReleaseUnavailable,
  Errors.appsDbFailed,
  Errors.deployGithubReadFailed,
  Errors.deployTemporalUnavailable,
  Errors.appsTooManyDeploys,
];

/** What approve and reject answer (docs/contract.md#approvals). */
const APPROVAL_ERRORS = [
  Errors.requestInvalid,
  Errors.deploymentsNotFound,
  Errors.deployApprovalNotReviewer,
  Errors.deployApprovalSelf,
  Errors.deployApprovalClosed,
  Errors.deploymentsDbFailed,
  Errors.deployTemporalUnavailable,
];
const APPROVAL_BODY: SchemaObject = { type: 'object', properties: { comment: { type: 'string', maxLength: 1000 } } };
const APPROVAL_ANSWER: SchemaObject = {
  type: 'object',
  properties: {
    decision: { type: 'string', enum: ['approved', 'rejected'] },
    approvals: { type: 'integer' },
    required: { type: 'integer' },
    proceeds: { type: 'boolean' },
  },
};
const APPROVAL_WAITING: SchemaObject = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    user: { type: 'string' },
    app: { type: 'string' },
    repository: { type: 'string' },
    commit: { type: 'string' },
    state: { type: 'string', enum: ['awaiting_approval', 'waiting_for_window'] },
    cause: { type: 'string' },
    by: { type: 'string' },
    approval: { type: 'object', additionalProperties: true },
    window: { type: 'object', additionalProperties: true },
    createdAt: { type: 'string', format: 'date-time' },
  },
};

const PIPELINE_STAGE: SchemaObject = {
  type: 'object',
  properties: {
    apps: { type: 'array', items: { type: 'string' } },
    bake: { type: 'string' },
    approval: { type: 'object', properties: { required: { type: 'integer' }, timeout: { type: 'string' } } },
  },
};
const PIPELINE: SchemaObject = {
  type: 'object',
  properties: {
    user: { type: 'string' },
    name: { type: 'string' },
    source: { type: 'string' },
    repository: { type: 'string' },
    stages: { type: 'array', items: PIPELINE_STAGE },
    by: { type: 'string' },
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
  },
};
const RELEASE_REF: SchemaObject = {
  type: 'object',
  nullable: true,
  properties: { version: { type: 'integer' }, commit: { type: 'string' } },
};
const PIPELINE_RUN: SchemaObject = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    pipeline: { type: 'string' },
    user: { type: 'string' },
    source: { type: 'string' },
    release: RELEASE_REF,
    by: { type: 'string' },
    state: { type: 'string', enum: ['running', 'awaiting_approval', 'baking', 'compensating', 'succeeded', 'failed'] },
    stage: { type: 'integer' },
    reason: { type: 'string' },
    approval: { type: 'object', additionalProperties: true },
    stages: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          apps: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                app: { type: 'string' },
                stage: { type: 'integer' },
                state: {
                  type: 'string',
                  enum: [
                    'pending',
                    'promoting',
                    'promoted',
                    'failed',
                    'untouched',
                    'compensating',
                    'compensated',
                    'left',
                    'compensation_failed',
                  ],
                },
                before: RELEASE_REF,
                deploymentId: { type: 'string' },
                release: { type: 'integer' },
                error: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' } } },
                compensation: { type: 'object', additionalProperties: true },
                after: RELEASE_REF,
                why: { type: 'string' },
              },
            },
          },
          bake: { type: 'string' },
          approval: { type: 'boolean' },
        },
      },
    },
    createdAt: { type: 'string', format: 'date-time' },
    endedAt: { type: 'string', format: 'date-time' },
  },
};

export const Doc = {
  Tag: (name: string): ClassDecorator => ApiTags(name),

  Deploy: (): Decorator =>
    applyDecorators(
      ApiOperation({
        summary: 'Receive a GitHub or Travis CI webhook',
        description:
          'A GitHub `push` to the deploy branch starts a deployment (or waits for Travis when `.travis.yml` has a webhook notification); ' +
          'a Travis notification signals the deployment of its commit (Passed/Fixed deploys, anything else ends it); `check_suite`, `check_run` and ' +
          '`status` events wake the deployment of their commit that waits for GitHub checks (202, else 200 `ignored`). Tag pushes, deletions, other ' +
          'branches and other events answer 200 `ignored`; `ping` answers 200 `pong`. Each app of the repository has its trigger (`deployOn` a branch or a tag glob, ' +
          'for which a published `release` event deploys too; `paths` globs): one push deploys every matching app, the answer lists them in `deployments` and the apps ' +
          'it did not deploy with the rule that excluded them in `ignored`. The same delivery twice never creates a second deployment: ' +
          "the answer names the existing one. Answers within GitHub's 10 s; the deployment itself runs in its workflow, whose errors go to the status log.",
      }),
      ApiConsumes('application/json', 'application/x-www-form-urlencoded'),
      ApiBody({
        description: "The provider's payload: JSON, or form-encoded `payload=<json>` as GitHub and Travis send it.",
        schema: {
          type: 'object',
          additionalProperties: true,
          properties: { payload: { type: 'string', description: 'form-encoded deliveries: the payload JSON' } },
        },
      }),
      ApiHeader({
        name: 'X-GitHub-Event',
        required: false,
        description: 'GitHub event name (`push`, `ping`, `check_suite`, `check_run`, `status`, …).',
      }),
      ApiHeader({
        name: 'X-GitHub-Delivery',
        required: false,
        description: 'GitHub delivery id; a redelivery answers the existing deployment.',
      }),
      ApiHeader({
        name: 'X-Hub-Signature-256',
        required: false,
        description: "HMAC-SHA256 of the raw body with the app's webhook secret; checked when a secret is set.",
      }),
      ApiHeader({ name: 'Travis-Repo-Slug', required: false, description: 'Travis CI: `owner/repo`.' }),
      ApiHeader({
        name: 'Signature',
        required: false,
        description: 'Travis CI: base64 RSA-SHA1 of the raw `payload`; checked when a Travis public key is configured.',
      }),
      ApiResponse({
        status: 202,
        description: 'Deployment queued (or waiting for CI), or the existing one named (`existing: true`).',
        schema: SCHEMAS.deployQueued,
      }),
      ApiResponse({
        status: 200,
        description: 'Nothing to deploy (`ignored`, with the reason) or a GitHub ping (`pong`).',
        schema: SCHEMAS.deployIgnored,
      }),
      ApiBasic(DEPLOY_AUTH_ERRORS, [
        Errors.deployNoPayload,
        Errors.deployProviderNotSupported,
        Errors.deployAuthBadSignature,
        Errors.deployPayloadTooLarge,
        Errors.deployDbFailedToStorePayload,
        Errors.deployTemporalUnavailable,
      ]),
    ),

  StatusList: (forApp: boolean): Decorator =>
    applyDecorators(
      ApiOperation({
        summary: forApp ? "One app's status log, newest first" : "The user's status log, newest first",
        description: 'Every step of every deployment, as the workflow wrote it.',
      }),
      ...limitSkip,
      ApiResponse({ status: 200, description: 'Status entries, newest first.', schema: { type: 'array', items: SCHEMAS.statusEntry } }),
      ApiBasic(AUTH_ERRORS, forApp ? [...ROLE_ERRORS, Errors.appsNotFound, Errors.appsDbFailed] : [Errors.appsDbFailed], [
        Errors.requestInvalid,
        Errors.statusDbNotFound,
        Errors.statusDbGetById,
        Errors.statusDbQueryFail,
      ]),
    ),

  ChangesFeed: (): Decorator =>
    applyDecorators(
      ApiOperation({
        summary: "Live changes feed of the user's status log",
        description:
          'A long-lived response pushing each new status entry the moment it is written: newline-delimited JSON, or Server-Sent Events with ' +
          '`Accept: text/event-stream`. Every line carries a resume token (`seq`, the SSE `id`); reconnect with `since=<seq>` or `Last-Event-ID` to miss ' +
          'nothing and see nothing twice. Heartbeats keep idle connections open. Errors after the stream started arrive as a last line with the same codes. ' +
          'A user may hold `FEED_MAX_PER_USER` feeds open at once, over all gateways together; one more is refused (429).',
      }),
      ApiProduces('application/x-ndjson', 'text/event-stream'),
      ApiHeader({ name: 'Accept', required: false, description: '`text/event-stream` for Server-Sent Events; NDJSON otherwise.' }),
      ApiHeader({ name: 'Last-Event-ID', required: false, description: 'SSE resume token (same as `since`).' }),
      ApiResponse({
        status: 200,
        description: 'The feed: one entry per line (or SSE event).',
        content: {
          'application/x-ndjson': { schema: SCHEMAS.feedLine },
          'text/event-stream': { schema: { type: 'string', description: '`id: <seq>` and `data: <feed line JSON>` per event' } },
        },
      }),
      ApiBasic(AUTH_ERRORS, REQUEST_ERRORS, [
        Errors.statusChangesTimeout,
        Errors.statusChangesTooMany,
        Errors.statusDbQueryFail,
        Errors.statusChangesFatal,
      ]),
    ),

  ChangesOne: (): Decorator =>
    applyDecorators(
      ApiOperation({
        summary: 'One status entry of the feed',
        description: 'Answers the entry (with its doc unless include_docs=false) and closes.',
      }),
      ApiResponse({ status: 200, description: 'The feed line of that entry.', schema: SCHEMAS.feedLine }),
      ApiBasic(AUTH_ERRORS, REQUEST_ERRORS, [Errors.statusDbNotFound, Errors.statusDbGetById, Errors.statusDbQueryFail]),
    ),

  GithubAuth: (): Decorator =>
    applyDecorators(
      ApiOperation({
        summary: 'Store a GitHub token for the caller',
        description:
          'Verifies `githubUser:githubToken` (a personal access token) with GitHub and stores it encrypted, restricted to `app` when given ' +
          '(then it is not used for private-repository access). Used to read private repositories and to set commit statuses.',
      }),
      ApiResponse({ status: 200, description: 'Paired.', schema: SCHEMAS.githubAuth }),
      ApiBasic(AUTH_ERRORS, REQUEST_ERRORS, [
        Errors.authGithubNoCredentials,
        Errors.authGithubBadCredentials,
        Errors.authGithubGithubPairingFailed,
        Errors.authGithubGetUserFailed,
        Errors.authGithubUpdateUserFailed,
      ]),
    ),

  GithubInstallation: (): Decorator =>
    applyDecorators(
      ApiOperation({
        summary: 'Link a GitHub App installation to the caller',
        description:
          "With the GitHub App configured (GITHUB_APP_ID): the App's webhook (`POST /1/github/webhook`) then routes events of the installation's " +
          "repositories to the caller's apps for them, and installation tokens replace personal tokens for those repositories. The caller proves the " +
          "installation is theirs with the GitHub token stored by `POST /1/auth/github`: the installation's account is that GitHub user, or an " +
          'organization it administers.',
      }),
      ApiResponse({
        status: 200,
        description: 'Linked.',
        schema: {
          type: 'object',
          properties: {
            user: { type: 'string' },
            installationId: { type: 'integer' },
            account: { type: 'object', properties: { login: { type: 'string' }, type: { type: 'string' } } },
          },
        },
      }),
      ApiBasic(AUTH_ERRORS, REQUEST_ERRORS, [
        Errors.authGithubNoApp,
        Errors.authGithubBadInstallation,
        Errors.authGithubNoCredentials,
        Errors.authGithubGithubPairingFailed,
        Errors.authGithubInstallationNotFound,
        Errors.authGithubGetUserFailed,
        Errors.authGithubUpdateUserFailed,
      ]),
    ),

  GithubAppWebhook: (): Decorator =>
    applyDecorators(
      ApiPublic(),
      ApiOperation({
        summary: "The GitHub App's webhook",
        description:
          'One URL for every repository the App is installed on; no Basic auth: `X-Hub-Signature-256` must verify with GITHUB_APP_WEBHOOK_SECRET. ' +
          'Each event (`push`, `check_suite`, `check_run`, `status`) is handled as `POST /1/deploy` would for every user who linked the installation ' +
          'and configured an app for the repository; one such user gets that answer, several get `status: routed` with one answer each; none: 200 `ignored`.',
      }),
      ApiConsumes('application/json', 'application/x-www-form-urlencoded'),
      ApiHeader({ name: 'X-GitHub-Event', required: true, description: 'GitHub event name.' }),
      ApiHeader({ name: 'X-Hub-Signature-256', required: true, description: "HMAC-SHA256 of the raw body with the App's webhook secret." }),
      ApiResponse({
        status: 202,
        description: "Routed: a deployment queued, waiting for CI or woken, or several users' answers.",
        schema: SCHEMAS.deployQueued,
      }),
      ApiResponse({
        status: 200,
        description: 'Nothing to deploy (`ignored`, with the reason) or a ping (`pong`).',
        schema: SCHEMAS.deployIgnored,
      }),
      ApiErrors([
        Errors.deployNoPayload,
        Errors.deployProviderNotSupported,
        Errors.deployAuthBadSignature,
        Errors.deployGithubNoApp,
        Errors.deployPayloadTooLarge,
        Errors.deployDbFailedToStorePayload,
        Errors.deployTemporalUnavailable,
      ]),
    ),

  DeploymentGet: (): Decorator =>
    applyDecorators(
      ApiOperation({ summary: 'A deployment: record, live step, status entries, Temporal UI link' }),
      ApiResponse({ status: 200, description: 'The deployment.', schema: SCHEMAS.deployment }),
      ApiBasic(AUTH_ERRORS, ROLE_ERRORS, [Errors.deploymentsNotFound, Errors.deploymentsDbFailed, Errors.deployTemporalUnavailable]),
    ),

  DeploymentRetry: (): Decorator =>
    applyDecorators(
      ApiOperation({
        summary: 'Retry a failed or canceled deployment',
        description: 'A new deployment from the stored payload, linked by `retryOf`; it does not wait for CI again.',
      }),
      ApiResponse({ status: 202, description: 'The new deployment is queued.', schema: SCHEMAS.deploymentRetry }),
      ApiBasic(AUTH_ERRORS, ROLE_ERRORS, [
        Errors.deploymentsNotFound,
        Errors.deploymentsNotRetryable,
        Errors.deploymentsDbFailed,
        Errors.deployTemporalUnavailable,
      ]),
    ),

  DeploymentCancel: (): Decorator =>
    applyDecorators(
      ApiOperation({
        summary: 'Cancel a running deployment',
        description: 'Asks the workflow to stop; the status log records `deploy:canceled`.',
      }),
      ApiResponse({ status: 202, description: 'Cancel requested.', schema: SCHEMAS.deploymentCancel }),
      ApiBasic(AUTH_ERRORS, ROLE_ERRORS, [
        Errors.deploymentsNotFound,
        Errors.deploymentsNotCancelable,
        Errors.deploymentsDbFailed,
        Errors.deployTemporalUnavailable,
      ]),
    ),

  AppPut: (): Decorator =>
    applyDecorators(
      ApiOperation({
        summary: 'Create or replace an app',
        description: 'Repository, deploy branch, deployment target, webhook secret, environment variables.',
      }),
      ApiResponse({ status: 200, description: 'The app as stored.', schema: SCHEMAS.app }),
      ApiBasic(AUTH_ERRORS, ROLE_ERRORS, REQUEST_ERRORS, [
        Errors.appsBadName,
        Errors.appsBadEnv,
        Errors.appsBadTarget,
        Errors.appsBadTrigger,
        Errors.appsConflict,
        Errors.appsDbFailed,
        Errors.appsTooMany,
      ]),
    ),

  AppEnv: (): Decorator =>
    applyDecorators(
      ApiOperation({
        summary: 'Set and remove environment variables',
        description:
          'As `jitsu set env`: persisted across deployments, delivered inside the package. With `"deploy": true`, the live release\'s code is then deployed with the new env (a release with `cause: env`, answered in `deployment`).',
      }),
      ApiResponse({ status: 200, description: 'The app as stored.', schema: SCHEMAS.app }),
      ApiBasic(AUTH_ERRORS, ROLE_ERRORS, REQUEST_ERRORS, [
        Errors.appsBadName,
        Errors.appsBadEnv,
        Errors.appsNotFound,
        Errors.appsReleaseNotFound,
        Errors.appsConflict,
        Errors.appsReleaseUnavailable,
        Errors.appsDbFailed,
        Errors.deployGithubReadFailed,
        Errors.deployTemporalUnavailable,
        Errors.appsTooManyDeploys,
      ]),
    ),

  ReleaseList: (): Decorator =>
    applyDecorators(
      ApiOperation({
        summary: "An app's releases, newest first",
        description: "Each deployment that ended SUCCESS made the app's next release vN; exactly one is live (none after an UNDEPLOY).",
      }),
      ...limitSkip,
      ApiResponse({ status: 200, description: 'Releases, newest first.', schema: { type: 'array', items: SCHEMAS.release } }),
      ApiBasic(AUTH_ERRORS, ROLE_ERRORS, [Errors.requestInvalid, Errors.appsNotFound, Errors.appsDbFailed]),
    ),

  ReleaseRollback: (): Decorator =>
    applyDecorators(
      ApiOperation({
        summary: 'Roll back to a release',
        description:
          "Deploys release N's code (default: the release before the live one) with the app's current env, through the app's line, as a new release " +
          '(`cause: rollback`, `rolledBackTo: N`): from its kept tarball (the last RELEASES_KEPT releases), else fetched from GitHub again. The app is then locked: ' +
          'pushes answer `ignored` until POST …/unlock. A release the receiver retains (`retained`) is made live by an ACTIVATE, nothing uploaded; ' +
          'the tarball is uploaded only when the receiver lacks it.',
      }),
      ApiResponse({ status: 202, description: "The rollback's deployment is queued.", schema: SCHEMAS.releaseDeployment }),
      ApiBasic(AUTH_ERRORS, ROLE_ERRORS, REQUEST_ERRORS, RELEASE_ACTION_ERRORS),
    ),

  ReleaseRedeploy: (): Decorator =>
    applyDecorators(
      ApiOperation({
        summary: 'Redeploy the live release',
        description: "The live release's code again with the app's current env, as a new release (`cause: redeploy`).",
      }),
      ApiResponse({ status: 202, description: 'The redeployment is queued.', schema: SCHEMAS.releaseDeployment }),
      ApiBasic(AUTH_ERRORS, ROLE_ERRORS, RELEASE_ACTION_ERRORS),
    ),

  ReleasePromote: (): Decorator =>
    applyDecorators(
      ApiOperation({
        summary: 'Promote the live release to another app of the repository',
        description:
          "Deploys this app's live release (its commit, from the kept tarball when there is one) to the app named `to`, which deploys the same repository, " +
          "with `to`'s env and target, through `to`'s line, as `to`'s next release (`cause: promote`): e.g. staging → production.",
      }),
      ApiResponse({ status: 202, description: "The promotion's deployment is queued.", schema: SCHEMAS.releaseDeployment }),
      ApiBasic(AUTH_ERRORS, ROLE_ERRORS, REQUEST_ERRORS, [
        Errors.appsPromoteSameApp,
        Errors.appsNotFound,
        Errors.appsReleaseNotFound,
        Errors.appsPromoteOtherRepository,
        Errors.appsReleaseUnavailable,
        Errors.appsDbFailed,
        Errors.deployGithubReadFailed,
        Errors.deployTemporalUnavailable,
        Errors.appsTooManyDeploys,
      ]),
    ),

  ReleaseUnlock: (): Decorator =>
    applyDecorators(
      ApiOperation({ summary: 'Unlock an app after a rollback', description: 'Pushes deploy again.' }),
      ApiResponse({ status: 200, description: 'The app as stored.', schema: SCHEMAS.app }),
      ApiBasic(AUTH_ERRORS, ROLE_ERRORS, [Errors.appsNotFound, Errors.appsDbFailed]),
    ),

  AppUndeploy: (): Decorator =>
    applyDecorators(
      ApiOperation({
        summary: 'UNDEPLOY an app at its target',
        description:
          "The target removes the files of the app's last deployment (kept when `retain`); the configuration stays. Followed like a deployment in the status log.",
      }),
      ApiResponse({ status: 202, description: 'The undeployment is queued (or, done already, named).', schema: SCHEMAS.undeployment }),
      ApiBasic(AUTH_ERRORS, ROLE_ERRORS, [Errors.appsNotFound, Errors.appsDbFailed, Errors.deployTemporalUnavailable]),
    ),

  AppDelete: (): Decorator =>
    applyDecorators(
      ApiOperation({
        summary: 'Remove an app',
        description: "UNDEPLOY at the target, then the app's configuration is removed once that succeeded.",
      }),
      ApiResponse({ status: 202, description: 'The removal is queued (or, done already, named).', schema: SCHEMAS.undeployment }),
      ApiBasic(AUTH_ERRORS, ROLE_ERRORS, [Errors.appsNotFound, Errors.appsDbFailed, Errors.deployTemporalUnavailable]),
    ),

  DeploymentList: (): Decorator =>
    applyDecorators(
      ApiOperation({ summary: "A user's deployments, newest first", description: 'Records only (no live state); `app` filters by app.' }),
      ApiQuery({ name: 'app', required: false, schema: { type: 'string' } }),
      ...limitSkip,
      ApiResponse({ status: 200, description: 'The deployments.' }),
      ApiBasic(AUTH_ERRORS, REQUEST_ERRORS, [Errors.deploymentsDbFailed, Errors.appsNotFound, Errors.appsDbFailed]),
    ),

  AppGet: (): Decorator =>
    applyDecorators(
      ApiOperation({ summary: "An app's configuration" }),
      ApiResponse({ status: 200, description: 'The app.', schema: SCHEMAS.app }),
      ApiBasic(AUTH_ERRORS, ROLE_ERRORS, [Errors.appsBadName, Errors.appsNotFound, Errors.appsDbFailed]),
    ),

  NotificationAdd: (): Decorator =>
    applyDecorators(
      ApiOperation({
        summary: "Subscribe a URL to the app's deployment events",
        description:
          "Each event is one POST with `X-Deploy-Event`, `X-Deploy-Delivery` (the same id on every retry) and, with a secret, `X-Deploy-Signature-256` (`sha256=` HMAC of the body, GitHub's scheme); retried with back-off for up to 24 h, each attempt given 5 s to answer. A link-local, metadata (and unless allowed, local or private) host is refused here. An app has at most `NOTIFICATIONS_MAX_PER_APP` subscriptions (20 by default), a user `NOTIFICATIONS_MAX_PER_USER` (100). A subscriber that keeps failing (`NOTIFICATIONS_DISABLE_AFTER_FAILURES` attempts in a row over `NOTIFICATIONS_DISABLE_AFTER`) is disabled; the subscription shows `disabled` until it is enabled again.",
      }),
      ApiResponse({ status: 201, description: 'The subscription (its secret never shown).' }),
      ApiBasic(AUTH_ERRORS, ROLE_ERRORS, REQUEST_ERRORS, [
        Errors.notificationsBadUrl,
        Errors.notificationsLimitReached,
        Errors.appsNotFound,
        Errors.appsDbFailed,
        Errors.notificationsDbFailed,
      ]),
    ),

  NotificationList: (): Decorator =>
    applyDecorators(
      ApiOperation({ summary: "The app's notification subscriptions, oldest first" }),
      ...limitSkipOf(20),
      ApiResponse({ status: 200, description: 'The subscriptions (secrets never shown).' }),
      ApiBasic(AUTH_ERRORS, ROLE_ERRORS, REQUEST_ERRORS, [Errors.appsNotFound, Errors.appsDbFailed, Errors.notificationsDbFailed]),
    ),

  NotificationEnable: (): Decorator =>
    applyDecorators(
      ApiOperation({
        summary: 'Enable a disabled notification subscription',
        description: 'Its failures are forgotten and new events are sent again; redeliver the deliveries it missed.',
      }),
      ApiResponse({ status: 200, description: 'The subscription, enabled.' }),
      ApiBasic(AUTH_ERRORS, ROLE_ERRORS, [Errors.appsNotFound, Errors.notificationsNotFound, Errors.notificationsDbFailed]),
    ),

  NotificationRemove: (): Decorator =>
    applyDecorators(
      ApiOperation({ summary: 'Remove a notification subscription', description: 'Its pending deliveries stop at their next attempt.' }),
      ApiResponse({ status: 204, description: 'Removed.' }),
      ApiBasic(AUTH_ERRORS, ROLE_ERRORS, [Errors.appsNotFound, Errors.notificationsNotFound, Errors.notificationsDbFailed]),
    ),

  DeliveryList: (): Decorator =>
    applyDecorators(
      ApiOperation({
        summary: "The app's notification deliveries, newest first",
        description: 'Status (`pending`, `delivered`, `failed`), attempts, the last status code and error, the body sent.',
      }),
      ...limitSkip,
      ApiResponse({ status: 200, description: 'The deliveries.' }),
      ApiBasic(AUTH_ERRORS, ROLE_ERRORS, REQUEST_ERRORS, [Errors.appsNotFound, Errors.appsDbFailed, Errors.notificationsDbFailed]),
    ),

  DeliveryRedeliver: (): Decorator =>
    applyDecorators(
      ApiOperation({
        summary: 'Send a delivery again',
        description:
          'The same body under the same `X-Deploy-Delivery` id; not while it is being delivered, at most `NOTIFICATIONS_REDELIVERIES_PER_MINUTE` (10) per app in any minute.',
      }),
      ApiResponse({ status: 202, description: 'The delivery, pending again.' }),
      ApiBasic(AUTH_ERRORS, ROLE_ERRORS, [
        Errors.appsNotFound,
        Errors.notificationsDeliveryNotFound,
        Errors.notificationsDeliveryPending,
        Errors.notificationsRedeliverThrottled,
        Errors.notificationsDisabled,
        Errors.notificationsDbFailed,
        Errors.deployTemporalUnavailable,
      ]),
    ),

  UserCreate: (): Decorator =>
    applyDecorators(
      ApiOperation({ summary: 'Create a user (administrators only)' }),
      ApiResponse({ status: 201, description: 'Created.', schema: SCHEMAS.user }),
      ApiBasic(AUTH_ERRORS, REQUEST_ERRORS, [Errors.usersBadUsername, Errors.mwAuthAdminOnly, Errors.usersExists]),
    ),

  TokenCreate: (): Decorator =>
    applyDecorators(
      ApiOperation({
        summary: 'Create an API token',
        description: 'The token is shown once, in this answer; it is stored only as a salted slow hash.',
      }),
      ApiResponse({ status: 201, description: 'Created.', schema: SCHEMAS.tokenCreated }),
      ApiBasic(AUTH_ERRORS, REQUEST_ERRORS, [Errors.usersNotFound, Errors.tokensTooMany]),
    ),

  TokenList: (): Decorator =>
    applyDecorators(
      ApiOperation({ summary: 'List API tokens (without secrets)' }),
      ApiResponse({ status: 200, description: 'The live tokens.', schema: SCHEMAS.tokenList }),
      ApiBasic(AUTH_ERRORS, [Errors.usersNotFound]),
    ),

  TokenRevoke: (): Decorator =>
    applyDecorators(
      ApiOperation({ summary: 'Revoke an API token' }),
      ApiResponse({ status: 204, description: 'Revoked.' }),
      ApiBasic(AUTH_ERRORS, [Errors.tokensNotFound]),
    ),

  Health: (): Decorator =>
    applyDecorators(
      ApiOperation({ summary: 'Liveness and readiness', description: 'Checks MongoDB and Temporal. No authentication.' }),
      ApiResponse({ status: 200, description: 'Ready.', schema: SCHEMAS.health }),
      ApiResponse({ status: 503, description: 'Up, but MongoDB or Temporal is not reachable.', schema: SCHEMAS.health }),
      ApiErrors(MALFORMED_REQUEST),
      ApiPublic(),
    ),

  StatusPage: (): Decorator =>
    applyDecorators(
      ApiOperation({
        summary: 'The live status page (HTML)',
        description: 'Sign in with an API token in the page; no authentication to load it.',
      }),
      ApiProduces('text/html'),
      ApiHeader({ name: 'If-None-Match', required: false }),
      ApiResponse({ status: 200, description: 'The page.', content: { 'text/html': { schema: { type: 'string' } } } }),
      ApiResponse({ status: 304, description: 'Not modified.' }),
      ApiErrors(MALFORMED_REQUEST),
      ApiPublic(),
    ),

  StatusPageFile: (): Decorator =>
    applyDecorators(
      ApiOperation({ summary: 'A file of the status page' }),
      ApiParam({ name: 'file', enum: ['app.js', 'apps.js', 'style.css', 'favicon.svg'] }),
      ApiHeader({ name: 'If-None-Match', required: false }),
      ApiResponse({ status: 200, description: 'The file.' }),
      ApiResponse({ status: 304, description: 'Not modified.' }),
      ApiErrors([Errors.requestNotFound]),
      ApiPublic(),
    ),

  Metrics: (): Decorator =>
    applyDecorators(
      ApiOperation({
        summary: 'Prometheus metrics',
        description: 'The Prometheus text exposition format. No authentication: expose it to the scraper only.',
      }),
      ApiProduces('text/plain'),
      ApiResponse({ status: 200, description: 'Metrics.', content: { 'text/plain; version=0.0.4': { schema: { type: 'string' } } } }),
      ApiErrors(MALFORMED_REQUEST),
      ApiPublic(),
    ),

  AppsReadable: (): Decorator =>
    applyDecorators(
      ApiOperation({
        summary: 'The apps the caller may read',
        description:
          'Their own apps, then the apps other users shared with them (docs: Collaborators), each with the role the caller has on it.',
      }),
      ApiResponse({ status: 200, description: 'The apps.', schema: SCHEMAS.readableApps }),
      ApiBasic(AUTH_ERRORS, [Errors.appsDbFailed]),
    ),

  CollaboratorList: (): Decorator =>
    applyDecorators(
      ApiOperation({
        summary: "An app's collaborators",
        description:
          'Each with their role, who gave it and when; `changes`: who added, changed or removed whom, and when (the newest 100).',
      }),
      ApiResponse({ status: 200, description: 'The collaborators.', schema: SCHEMAS.collaborators }),
      ApiBasic(AUTH_ERRORS, ROLE_ERRORS, [Errors.appsNotFound, Errors.appsDbFailed]),
    ),

  CollaboratorPut: (): Decorator =>
    applyDecorators(
      ApiOperation({
        summary: 'Give a user a role on the app',
        description:
          'Adds the user as a collaborator, or changes their role. The user must exist and not own the app; an app has at most 50 collaborators. Admins of the app only.',
      }),
      ApiParam({ name: 'name', description: 'The user given the role.' }),
      ApiResponse({ status: 200, description: 'The collaborator.', schema: SCHEMAS.collaborator }),
      ApiBasic(AUTH_ERRORS, ROLE_ERRORS, REQUEST_ERRORS, [
        Errors.appsNotFound,
        Errors.appsCollaboratorsBadRole,
        Errors.appsCollaboratorsOwner,
        Errors.appsCollaboratorsUnknownUser,
        Errors.appsCollaboratorsTooMany,
        Errors.appsConflict,
        Errors.appsDbFailed,
      ]),
    ),

  CollaboratorRemove: (): Decorator =>
    applyDecorators(
      ApiOperation({ summary: "Take a user's role on the app away", description: 'Admins of the app only.' }),
      ApiParam({ name: 'name', description: 'The collaborator removed.' }),
      ApiResponse({ status: 204, description: 'Removed.' }),
      ApiBasic(AUTH_ERRORS, ROLE_ERRORS, [Errors.appsNotFound, Errors.appsCollaboratorsNotFound, Errors.appsConflict, Errors.appsDbFailed]),
    ),
  ApprovalsWaiting: (): Decorator =>
    applyDecorators(
      ApiOperation({
        summary: 'What waits for my decision',
        description:
          "Deployments awaiting approval with the caller among their reviewers, and deployments of the caller's apps waiting for a deploy window; oldest first (docs/contract.md#approvals).",
      }),
      ApiResponse({ status: 200, description: 'The waiting deployments.', schema: { type: 'array', items: APPROVAL_WAITING } }),
      ApiBasic(AUTH_ERRORS, [Errors.deploymentsDbFailed]),
    ),

  DeploymentApprove: (): Decorator =>
    applyDecorators(
      ApiOperation({
        summary: 'Approve a deployment awaiting approval',
        description:
          'A Temporal Update of the deployment: its validator refuses a caller who is not a reviewer or who asked for the deployment, and a decision on an approval that is closed. The answer says whether the deployment now proceeds.',
      }),
      ApiBody({ required: false, schema: APPROVAL_BODY }),
      ApiResponse({ status: 200, description: 'The decision was recorded.', schema: APPROVAL_ANSWER }),
      ApiBasic(AUTH_ERRORS, APPROVAL_ERRORS),
    ),

  DeploymentReject: (): Decorator =>
    applyDecorators(
      ApiOperation({
        summary: 'Reject a deployment awaiting approval',
        description: 'As approve; the deployment ends `deploy:approval:rejected`.',
      }),
      ApiBody({ required: false, schema: APPROVAL_BODY }),
      ApiResponse({ status: 200, description: 'The decision was recorded.', schema: APPROVAL_ANSWER }),
      ApiBasic(AUTH_ERRORS, APPROVAL_ERRORS),
    ),

  DeploymentDeployNow: (): Decorator =>
    applyDecorators(
      ApiOperation({
        summary: 'Deploy a deployment waiting for its window now',
        description:
          'Approvers and admins of the app; the reason goes to the status log and the record (docs/contract.md#deploy-windows-and-freezes).',
      }),
      ApiBody({ schema: { type: 'object', required: ['reason'], properties: { reason: { type: 'string', maxLength: 1000 } } } }),
      ApiResponse({
        status: 200,
        description: 'The deployment goes on to its line.',
        schema: { type: 'object', properties: { id: { type: 'string' }, proceeds: { type: 'boolean', enum: [true] } } },
      }),
      ApiBasic(AUTH_ERRORS, [
        Errors.requestInvalid,
        Errors.deploymentsNotFound,
        Errors.deployApprovalNotReviewer,
        Errors.deployApprovalClosed,
        Errors.deploymentsDbFailed,
        Errors.deployTemporalUnavailable,
      ]),
    ),

  PreviewList: (): Decorator =>
    applyDecorators(
      ApiOperation({
        summary: "An app's preview apps, the newest pull request first",
        description:
          'One per pull request that had a preview (docs/contract.md#preview-apps): its state (`deploying`, `live`, `failed`, `awaiting_approval`, ' +
          '`tearing_down`, `removed`, `teardown_failed`) and why, its head and that deployment. Read from the record: removed previews stay listed.',
      }),
      ...limitSkip,
      ApiResponse({
        status: 200,
        description: 'Previews, the newest pull request first.',
        schema: { type: 'array', items: SCHEMAS.preview },
      }),
      ApiBasic(AUTH_ERRORS, [Errors.requestInvalid, Errors.appsNotFound, Errors.appsDbFailed, Errors.appsPreviewsDbFailed]),
    ),

  PreviewApprove: (): Decorator =>
    applyDecorators(
      ApiOperation({
        summary: "Approve the fork's head that waits in a preview",
        description:
          'A pull request from a fork deploys to its preview only after an approval of each push (`previews.forks: approve`, docs/contract.md#preview-apps). ' +
          "The caller must be a reviewer of the app (its `approval.reviewers`, else its approvers and admins); the preview's workflow refuses a head " +
          'that no longer waits (approved already, replaced by a newer push, torn down). There is no rejection: an unapproved head just waits.',
      }),
      ApiParam({ name: 'pr', description: 'The pull request number.', schema: { type: 'integer', minimum: 1 } }),
      ApiBody({
        required: false,
        schema: {
          type: 'object',
          properties: {
            sha: { type: 'string', pattern: '^[0-9a-f]{40}$', description: 'The head approved; absent: the one waiting now.' },
            comment: { type: 'string', maxLength: 1000 },
          },
        },
      }),
      ApiResponse({
        status: 200,
        description: 'The head deploys to the preview.',
        schema: {
          type: 'object',
          properties: {
            app: { type: 'string' },
            preview: { type: 'string' },
            pr: { type: 'integer' },
            sha: { type: 'string' },
            approvedBy: { type: 'string' },
            deploys: { type: 'boolean', enum: [true] },
          },
        },
      }),
      ApiBasic(AUTH_ERRORS, [
        Errors.requestInvalid,
        Errors.appsNotFound,
        Errors.appsPreviewsNotFound,
        Errors.deployApprovalNotReviewer,
        Errors.deployApprovalClosed,
        Errors.appsPreviewsDbFailed,
        Errors.deployTemporalUnavailable,
      ]),
    ),

  PipelineList: (): Decorator =>
    applyDecorators(
      ApiOperation({
        summary: "A user's release pipelines",
        description: 'By name (docs/contract.md#release-pipelines); a collaborator sees those whose source app they may read.',
      }),
      ...limitSkipOf(20),
      ApiResponse({ status: 200, description: 'Pipelines, by name.', schema: { type: 'array', items: PIPELINE } }),
      ApiBasic(AUTH_ERRORS, [Errors.requestInvalid, Errors.pipelinesDbFailed, Errors.appsDbFailed]),
    ),

  PipelinePut: (): Decorator =>
    applyDecorators(
      ApiOperation({
        summary: 'Create or replace a release pipeline',
        description:
          'A source app and stages of other apps of its repository, each app once (docs/contract.md#release-pipelines). ' +
          'The caller is deployer on every app of the stages (approver where a stage asks for approval).',
      }),
      ApiResponse({ status: 200, description: 'The pipeline as stored.', schema: PIPELINE }),
      ApiBasic(AUTH_ERRORS, ROLE_ERRORS, REQUEST_ERRORS, [
        Errors.pipelinesBadStages,
        Errors.appsNotFound,
        Errors.pipelinesDbFailed,
        Errors.appsDbFailed,
      ]),
    ),

  PipelineGet: (): Decorator =>
    applyDecorators(
      ApiOperation({ summary: 'A release pipeline' }),
      ApiResponse({ status: 200, description: 'The pipeline.', schema: PIPELINE }),
      ApiBasic(AUTH_ERRORS, [Errors.requestInvalid, Errors.pipelinesNotFound, Errors.pipelinesDbFailed, Errors.appsDbFailed]),
    ),

  PipelineDelete: (): Decorator =>
    applyDecorators(
      ApiOperation({ summary: 'Delete a release pipeline', description: 'Its runs stay readable until it is created again.' }),
      ApiResponse({ status: 204, description: 'Deleted.' }),
      ApiBasic(AUTH_ERRORS, ROLE_ERRORS, [Errors.requestInvalid, Errors.pipelinesNotFound, Errors.pipelinesDbFailed, Errors.appsDbFailed]),
    ),

  PipelineRun: (): Decorator =>
    applyDecorators(
      ApiOperation({
        summary: 'Run a release pipeline',
        description:
          'Promotes one release of the source (default: its live release) stage by stage (`cause: pipeline`); a failing stage compensates every app the run changed. One run per pipeline at a time.',
      }),
      ApiResponse({ status: 202, description: 'The run has started.', schema: PIPELINE_RUN }),
      ApiBasic(AUTH_ERRORS, ROLE_ERRORS, REQUEST_ERRORS, [
        Errors.pipelinesNotFound,
        Errors.pipelinesBadStages,
        Errors.appsNotFound,
        Errors.appsReleaseNotFound,
        Errors.pipelinesRunInProgress,
        Errors.pipelinesDbFailed,
        Errors.appsDbFailed,
        Errors.deployTemporalUnavailable,
      ]),
    ),

  PipelineRunList: (): Decorator =>
    applyDecorators(
      ApiOperation({ summary: "A pipeline's runs, the newest first" }),
      ...limitSkipOf(20),
      ApiResponse({ status: 200, description: 'Runs, the newest first.', schema: { type: 'array', items: PIPELINE_RUN } }),
      ApiBasic(AUTH_ERRORS, [Errors.requestInvalid, Errors.pipelinesNotFound, Errors.pipelinesDbFailed, Errors.appsDbFailed]),
    ),

  PipelineRunGet: (): Decorator =>
    applyDecorators(
      ApiOperation({
        summary: 'A run of a pipeline',
        description:
          'Per stage, per app: its state and the report (before, the promotion, the compensation, after, why). Read from the record.',
      }),
      ApiResponse({ status: 200, description: 'The run.', schema: PIPELINE_RUN }),
      ApiBasic(AUTH_ERRORS, [
        Errors.requestInvalid,
        Errors.pipelinesNotFound,
        Errors.pipelinesRunNotFound,
        Errors.pipelinesDbFailed,
        Errors.appsDbFailed,
      ]),
    ),

  PipelineRunDecide: (decision: 'approve' | 'reject'): Decorator =>
    applyDecorators(
      ApiOperation({
        summary: decision === 'approve' ? 'Approve the stage a run waits for' : 'Reject the stage a run waits for',
        description:
          decision === 'approve'
            ? "A Temporal Update of the run's workflow, whose validator decides: reviewers are the approvers of every app of the stage, never the run's author."
            : 'As approve; the run fails and compensates.',
      }),
      ApiBody({ required: false, schema: APPROVAL_BODY }),
      ApiResponse({ status: 200, description: 'The decision was recorded.', schema: APPROVAL_ANSWER }),
      ApiBasic(AUTH_ERRORS, [
        Errors.requestInvalid,
        Errors.pipelinesNotFound,
        Errors.pipelinesRunNotFound,
        Errors.deployApprovalNotReviewer,
        Errors.deployApprovalSelf,
        Errors.deployApprovalClosed,
        Errors.pipelinesDbFailed,
        Errors.appsDbFailed,
        Errors.deployTemporalUnavailable,
      ]),
    ),
};
