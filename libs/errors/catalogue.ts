/**
 * Every error code of the product, once: its HTTP status (codes an HTTP API answers), a default
 * sentence (throw sites that know more say more), and where it can occur:
 * - `api`: the gateway's answers (docs/contract.md#errors), `{"error", "message", "uuid"}`;
 * - `workflow`: a deployment's status log and record (a step's failure, the workflow's end);
 * - `receiver`: the reference deployment receiver's answers;
 * - `notification`: a notification delivery's attempts (its workflow history and `lastError`).
 *
 * Pure constants with no imports: the workflow bundle imports this file (Temporal's sandbox
 * allows nothing else), and a code that is not here does not compile at a throw site.
 * The error table of docs/errors.md, the OpenAPI error lists and test/error-codes.spec.ts are checked
 * against it.
 */
export type ErrorSite = 'api' | 'workflow' | 'receiver' | 'notification';

interface Entry {
  readonly code: string;
  /** The HTTP status answered with it; absent for codes no HTTP API answers. */
  readonly status?: number;
  readonly message: string;
  readonly where: readonly ErrorSite[];
}

const api = ['api'] as const;
const workflow = ['workflow'] as const;
const receiver = ['receiver'] as const;
const notification = ['notification'] as const;

export const Errors = {
  // The gateway's request handling (docs/contract.md#requests-and-answers), before or beside any endpoint.
  internal: { code: 'internal', status: 500, message: 'Something went wrong on our side; quote the uuid to support.', where: api },
  requestInvalid: { code: 'request:invalid', status: 400, message: 'The request is malformed or fails its checks.', where: api },
  requestNotFound: { code: 'request:not_found', status: 404, message: 'No such endpoint.', where: api },
  requestTooLarge: { code: 'request:too_large', status: 413, message: 'The request body is over the configured size limit.', where: api },
  requestTooLong: { code: 'request:too_long', status: 414, message: 'A path segment is too long.', where: api },
  requestUnsupportedMediaType: { code: 'request:unsupported_media_type', status: 415, message: 'Send application/json.', where: api },

  // Authentication (docs/contract.md#authentication).
  mwAuthUnauthorized: {
    code: 'mw:auth:unauthorized',
    status: 401,
    message: 'Send HTTP Basic authentication with user:password or user:apiToken.',
    where: api,
  },
  mwAuthNotYou: { code: 'mw:auth:not_you', status: 401, message: 'You cannot act for another user.', where: api },
  mwAuthNoUsername: {
    code: 'mw:auth:no_username',
    status: 401,
    message: 'Your user record is in a bad state; contact your administrator.',
    where: api,
  },
  mwAuthThrottled: { code: 'mw:auth:throttled', status: 429, message: 'Too many failed sign-ins; try again later.', where: api },
  mwAuthAuthServerDown: {
    code: 'mw:auth:auth_server_down',
    status: 500,
    message: 'We could not verify your credentials: the user store is not reachable. Try again shortly.',
    where: api,
  },
  mwAuthAdminOnly: { code: 'mw:auth:admin_only', status: 403, message: 'Only an administrator can create users.', where: api },

  // Users and API tokens.
  usersBadUsername: {
    code: 'users:bad_username',
    status: 400,
    message: 'Usernames are 1-64 letters, digits, dots, dashes or underscores.',
    where: api,
  },
  usersExists: { code: 'users:exists', status: 409, message: 'A user of that name exists already.', where: api },
  usersNotFound: { code: 'users:not_found', status: 404, message: 'No such user.', where: api },
  tokensNotFound: { code: 'tokens:not_found', status: 404, message: 'No such live API token.', where: api },
  // Per-user caps (docs/reliability.md#tenant-isolation-review): 403, waiting does not help, removing one does.
  tokensTooMany: { code: 'tokens:too_many', status: 403, message: 'You have as many live API tokens as one user may.', where: api },

  // Webhooks in (docs/contract.md#webhook-intake).
  deployAuthBadCreds: {
    code: 'deploy:auth:bad_creds',
    status: 401,
    message: 'Send HTTP Basic authentication with user:password or user:apiToken.',
    where: api,
  },
  deployAuthBadSignature: { code: 'deploy:auth:bad_signature', status: 401, message: 'The webhook signature does not verify.', where: api },
  deployNoPayload: { code: 'deploy:no_payload', status: 400, message: 'The request has no payload.', where: api },
  deployProviderNotSupported: {
    code: 'deploy:provider:not_supported',
    status: 400,
    message: 'This is not a GitHub or Travis payload we handle.',
    where: api,
  },
  deployPayloadTooLarge: {
    code: 'deploy:payload:too_large',
    status: 413,
    message: 'The request body is over the configured size limit.',
    where: api,
  },
  deployDbFailedToStorePayload: {
    code: 'deploy:db:failed_to_store_payload',
    status: 503,
    message: 'The payload could not be stored; nothing was started. Deliver the webhook again shortly.',
    where: api,
  },
  deployTemporalUnavailable: {
    code: 'deploy:temporal:unavailable',
    status: 503,
    message: 'Temporal is not reachable. Try again shortly.',
    where: api,
  },
  deployGithubNoApp: {
    code: 'deploy:github:no_app',
    status: 404,
    message: 'This service has no GitHub App configured (GITHUB_APP_ID).',
    where: api,
  },
  // 503 from the release actions; the intake answers a tag release whose commit GitHub cannot give with 502.
  deployGithubReadFailed: {
    code: 'deploy:github:read_failed',
    status: 503,
    message: 'GitHub could not be read. Try again shortly.',
    where: ['api', 'workflow'],
  },

  // A deployment's steps and end (docs/contract.md#the-deployment-workflow): the status log's codes.
  deployGithubNoPkgJson: { code: 'deploy:github:no_pkg_json', message: 'No readable package.json at the commit.', where: workflow },
  deployGithubDownloadTarball: {
    code: 'deploy:github:download_tarball',
    message: "The commit's tarball could not be downloaded from GitHub.",
    where: workflow,
  },
  deployGithubCommitStatus: {
    code: 'deploy:github:commit_status',
    message: 'A commit status could not be set (never fails a deployment).',
    where: workflow,
  },
  deployGithubDeploymentStatus: {
    code: 'deploy:github:deployment_status',
    message: 'A GitHub deployment status could not be set (never fails a deployment).',
    where: workflow,
  },
  deployTarUnsafePath: { code: 'deploy:tar:unsafe_path', message: 'The tarball has an entry outside the app.', where: workflow },
  deployTarUnsafeLink: { code: 'deploy:tar:unsafe_link', message: 'The tarball has a link pointing outside the app.', where: workflow },
  deployTarDeviceFile: { code: 'deploy:tar:device_file', message: 'The tarball has a device or other special file.', where: workflow },
  deployTarTooManyEntries: { code: 'deploy:tar:too_many_entries', message: 'The tarball has too many entries.', where: workflow },
  deployTarTooLarge: { code: 'deploy:tar:too_large', message: 'The tarball unpacks to more than the limit.', where: workflow },
  deployTarCorrupt: { code: 'deploy:tar:corrupt', message: 'The tarball could not be read.', where: workflow },
  deployTarTimeout: { code: 'deploy:tar:timeout', message: "The tarball's inspection did not finish in time.", where: workflow },
  deployReceiverUploadTarball: {
    code: 'deploy:receiver:upload_tarball',
    message: 'The receiver refused the upload or was unreachable after the retries.',
    where: workflow,
  },
  deployReceiverStartApp: {
    code: 'deploy:receiver:start_app',
    message: 'The receiver reported ERROR, or did not finish processing in time.',
    where: workflow,
  },
  deployTravisFailed: { code: 'deploy:travis:failed', message: 'The Travis build did not pass; not deploying.', where: workflow },
  deployTravisTimeout: { code: 'deploy:travis:timeout', message: 'Travis did not report in time.', where: workflow },
  deployCiFailed: { code: 'deploy:ci:failed', message: 'A GitHub check or status context failed; not deploying.', where: workflow },
  deployCiTimeout: { code: 'deploy:ci:timeout', message: 'GitHub checks did not complete in time.', where: workflow },
  deployCanceled: { code: 'deploy:canceled', message: 'The deployment was canceled.', where: workflow },
  deploySuperseded: { code: 'deploy:superseded', message: 'A newer deployment of the app went first.', where: workflow },
  deployStale: { code: 'deploy:stale', message: "The push names a commit older than the app's newest known one.", where: workflow },
  deployTerminated: {
    code: 'deploy:terminated',
    message: "The deployment's workflow ended in Temporal (terminated, timed out or deleted) without recording its end.",
    where: workflow,
  },
  deployAppOtherRepository: {
    code: 'deploy:app:other_repository',
    message: 'package.json names an app configured for another repository.',
    where: workflow,
  },
  deployAppNameTaken: {
    code: 'deploy:app:name_taken',
    message: 'On the shared default target the app name belongs to another user.',
    where: workflow,
  },
  deployInternal: { code: 'deploy:internal', message: 'The deployment failed outside every step.', where: workflow },
  deployDbUnavailable: {
    code: 'deploy:db:unavailable',
    message:
      'The deployment store (MongoDB) failed in this step through all its retries: nothing is wrong with the repository or the target. Retry the deployment once the store answers again.',
    where: workflow,
  },

  // Deployments (docs/contract.md#deployments).
  deploymentsNotFound: { code: 'deployments:not_found', status: 404, message: 'No such deployment.', where: api },
  deploymentsNotRetryable: {
    code: 'deployments:not_retryable',
    status: 409,
    message: 'Only failed or canceled deployments can be retried.',
    where: api,
  },
  deploymentsNotCancelable: {
    code: 'deployments:not_cancelable',
    status: 409,
    message: 'The deployment has ended; there is nothing to cancel.',
    where: api,
  },
  deploymentsDbFailed: {
    code: 'deployments:db:failed',
    status: 503,
    message: 'The deployment store is not reachable right now. Try again shortly.',
    where: api,
  },

  // Apps, releases (docs/contract.md#apps, docs/contract.md#releases).
  appsBadName: {
    code: 'apps:bad_name',
    status: 400,
    message: 'App names are 1-100 letters, digits, dots, dashes or underscores.',
    where: api,
  },
  appsBadEnv: { code: 'apps:bad_env', status: 400, message: "The app's environment variables are refused.", where: api },
  appsBadTarget: { code: 'apps:bad_target', status: 400, message: "The app's target is refused.", where: api },
  appsBadTrigger: { code: 'apps:bad_trigger', status: 400, message: "The app's trigger is refused.", where: api },
  appsConflict: {
    code: 'apps:conflict',
    status: 409,
    message: 'The app was being changed by other requests at the same time; read it again and retry.',
    where: api,
  },
  appsNotFound: { code: 'apps:not_found', status: 404, message: 'No such app.', where: api },
  appsTooMany: { code: 'apps:too_many', status: 403, message: 'You have as many apps as one user may.', where: api },
  // A rate, not a count: 429, the same request succeeds a minute later.
  appsTooManyDeploys: {
    code: 'apps:too_many_deploys',
    status: 429,
    message: 'The app was deployed explicitly as often in the last minute as it may be; try again in a minute.',
    where: api,
  },
  appsDbFailed: {
    code: 'apps:db:failed',
    status: 503,
    message: 'The app store is not reachable right now. Try again shortly.',
    where: api,
  },
  appsReleaseNotFound: { code: 'apps:release:not_found', status: 404, message: 'No such release.', where: api },
  appsReleaseUnavailable: {
    code: 'apps:release:unavailable',
    status: 409,
    message: "The release's code can no longer be had: its tarball is no longer kept and GitHub does not have the commit.",
    where: api,
  },
  appsPromoteSameApp: { code: 'apps:promote:same_app', status: 400, message: 'An app cannot be promoted to itself.', where: api },
  appsPromoteOtherRepository: {
    code: 'apps:promote:other_repository',
    status: 409,
    message: 'Promotion moves a release between apps of one repository.',
    where: api,
  },

  // Notifications (docs/contract.md#notifications).
  notificationsBadUrl: { code: 'notifications:bad_url', status: 400, message: 'The notification url is refused.', where: api },
  notificationsNotFound: { code: 'notifications:not_found', status: 404, message: 'No such notification subscription.', where: api },
  notificationsDeliveryNotFound: { code: 'notifications:delivery_not_found', status: 404, message: 'No such delivery.', where: api },
  notificationsDbFailed: {
    code: 'notifications:db:failed',
    status: 503,
    message: 'The notification store is not reachable right now. Try again shortly.',
    where: api,
  },
  notificationsLimitReached: {
    code: 'notifications:limit_reached',
    status: 422,
    message: 'The app or the user has as many notification subscriptions as allowed; remove one first.',
    where: api,
  },
  notificationsDeliveryPending: {
    code: 'notifications:delivery_pending',
    status: 409,
    message: 'That delivery is being delivered now; redeliver it once it has ended.',
    where: api,
  },
  notificationsRedeliverThrottled: {
    code: 'notifications:redeliver_throttled',
    status: 429,
    message: 'Too many redeliveries were asked for this app in the last minute; try again shortly.',
    where: api,
  },
  notificationsDisabled: {
    code: 'notifications:disabled',
    status: 409,
    message: 'The subscription is disabled because its subscriber kept failing; enable it again first.',
    where: ['api', 'notification'],
  },
  notificationsRejected: { code: 'notifications:rejected', message: 'The subscriber answered with an error status.', where: notification },
  notificationsUnreachable: { code: 'notifications:unreachable', message: 'The subscriber could not be reached.', where: notification },
  notificationsRefused: { code: 'notifications:refused', message: 'The outbound guard refused the subscriber URL.', where: notification },
  notificationsRemoved: { code: 'notifications:removed', message: 'The notification subscription was removed.', where: notification },

  // The status log and its feed (docs/contract.md#the-status-log).
  statusDbQueryFail: {
    code: 'status:db:query_fail',
    status: 500,
    message: 'The database could not complete the status query. Try again shortly.',
    where: api,
  },
  statusDbGetById: {
    code: 'status:db:get_by_id',
    status: 500,
    message: 'The database could not look up that status entry. Try again shortly.',
    where: api,
  },
  statusDbNotFound: { code: 'status:db:not_found', status: 404, message: 'No such status entry.', where: api },
  statusChangesTimeout: {
    code: 'status:changes:timeout',
    status: 408,
    message: 'The feed ended; reconnect with since=<your last seq>.',
    where: api,
  },
  statusChangesTooMany: {
    code: 'status:changes:too_many',
    status: 429,
    message: 'Too many changes feeds are open for this user.',
    where: api,
  },
  statusChangesFatal: {
    code: 'status:changes:fatal',
    status: 500,
    message: 'The changes feed cannot follow the status log right now. Reconnect shortly.',
    where: api,
  },

  // GitHub authorization (docs/contract.md#github-authorization).
  authGithubNoCredentials: {
    code: 'auth:github:no_credentials',
    status: 400,
    message: 'Send {"credentials": "githubUser:githubToken"} in the body.',
    where: api,
  },
  authGithubBadCredentials: {
    code: 'auth:github:bad_credentials',
    status: 400,
    message: 'credentials must be "githubUser:githubToken".',
    where: api,
  },
  authGithubGithubPairingFailed: {
    code: 'auth:github:github_pairing_failed',
    status: 401,
    message: 'GitHub did not accept that token for that user.',
    where: api,
  },
  authGithubGetUserFailed: {
    code: 'auth:github:get_user_failed',
    status: 500,
    message: 'GitHub could not be asked. Try again shortly.',
    where: api,
  },
  authGithubUpdateUserFailed: {
    code: 'auth:github:update_user_failed',
    status: 500,
    message: 'The GitHub authorization could not be saved. Try again shortly.',
    where: api,
  },
  authGithubNoApp: {
    code: 'auth:github:no_app',
    status: 400,
    message: 'This service has no GitHub App configured (GITHUB_APP_ID).',
    where: api,
  },
  authGithubBadInstallation: {
    code: 'auth:github:bad_installation',
    status: 400,
    message: 'Send {"installationId": <number>}.',
    where: api,
  },
  authGithubInstallationNotFound: {
    code: 'auth:github:installation_not_found',
    status: 404,
    message: 'Your GitHub account has no such installation of the GitHub App (on itself or an organization it administers).',
    where: api,
  },

  // The reference deployment receiver (apps/receiver).
  receiverUnauthorized: { code: 'receiver:unauthorized', status: 401, message: 'valid Basic credentials are required', where: receiver },
  receiverBadMultipart: { code: 'receiver:bad_multipart', status: 400, message: 'expected a multipart/form-data body', where: receiver },
  receiverNoPackage: { code: 'receiver:no_package', status: 400, message: 'the push has no "package" part', where: receiver },
  receiverInvalidPackage: {
    code: 'receiver:invalid_package',
    status: 400,
    message: 'the package part is not a valid deployment package',
    where: receiver,
  },
  receiverNoArchive: {
    code: 'receiver:no_archive',
    status: 400,
    message: 'a DEPLOY push needs at least one archive-* part',
    where: receiver,
  },
  receiverUnexpectedArchive: {
    code: 'receiver:unexpected_archive',
    status: 400,
    message: 'an ACTIVATE push carries no archive-* part: the release is already on the receiver',
    where: receiver,
  },
  // Not an HTTP answer: the start of the record message of an ACTIVATE the receiver ends ERROR, which the
  // worker reads from the status (docs/contract.md#activate) and which reaches the deployment's status log.
  receiverReleaseNotKept: {
    code: 'receiver:release_not_kept',
    message: 'The receiver does not keep the release an ACTIVATE names; upload its archive instead.',
    where: workflow,
  },
  receiverTooLarge: { code: 'receiver:too_large', status: 413, message: 'the upload is over the size limit', where: receiver },
  receiverNotFound: { code: 'receiver:not_found', status: 404, message: 'no such deployment package', where: receiver },
  receiverInternal: { code: 'receiver:internal', status: 500, message: 'the receiver failed unexpectedly', where: receiver },

  // Collaborators and their roles on an app (docs/contract.md#collaborators).
  authForbidden: { code: 'auth:forbidden', status: 403, message: 'Your role on this app does not allow this.', where: api },
  appsCollaboratorsUnknownUser: {
    code: 'apps:collaborators:unknown_user',
    status: 400,
    message: 'No user by that name: a collaborator must be a user of this service.',
    where: api,
  },
  appsCollaboratorsOwner: {
    code: 'apps:collaborators:owner',
    status: 400,
    message: "The app's owner is its admin already and cannot be one of its collaborators.",
    where: api,
  },
  appsCollaboratorsBadRole: {
    code: 'apps:collaborators:bad_role',
    status: 400,
    message: 'A role is one of viewer, deployer, approver or admin.',
    where: api,
  },
  appsCollaboratorsTooMany: {
    code: 'apps:collaborators:too_many',
    status: 403,
    message: 'The app has as many collaborators as one app may.',
    where: api,
  },
  appsCollaboratorsNotFound: {
    code: 'apps:collaborators:not_found',
    status: 404,
    message: 'That user is not a collaborator of the app.',
    where: api,
  },
  // Approvals and deploy windows (docs/contract.md#approvals, docs/contract.md#deploy-windows-and-freezes).
  deployApprovalNotReviewer: {
    code: 'deploy:approval:not_reviewer',
    status: 403,
    message: "You are not one of the reviewers of this app's deployments.",
    where: api,
  },
  deployApprovalSelf: {
    code: 'deploy:approval:self',
    status: 403,
    message: 'You asked for this deployment; another reviewer must decide on it.',
    where: api,
  },
  deployApprovalClosed: {
    code: 'deploy:approval:closed',
    status: 409,
    message: 'The deployment is not waiting for this decision (decided, expired, superseded, or ended).',
    where: api,
  },
  deployApprovalExpired: {
    code: 'deploy:approval:expired',
    message: "No decision came within the app's approval timeout.",
    where: workflow,
  },
  deployApprovalRejected: { code: 'deploy:approval:rejected', message: 'A reviewer rejected the deployment.', where: workflow },
  // Preview apps of pull requests (docs/contract.md#preview-apps).
  appsPreviewsLimit: {
    code: 'apps:previews:limit',
    status: 409,
    message: 'The app has as many preview apps as its previews.max allows.',
    where: api,
  },
  appsPreviewsDbFailed: {
    code: 'apps:previews:db:failed',
    status: 503,
    message: 'The preview apps could not be read or written; try again shortly.',
    where: api,
  },
  appsPreviewsNotFound: {
    code: 'apps:previews:not_found',
    status: 404,
    message: 'The app has no preview of that pull request.',
    where: api,
  },
  deployHealthFailed: {
    code: 'deploy:health:failed',
    message: "The release failed its health-checked bake: the app's health URL failed failureThreshold times in a row.",
    where: workflow,
  },
  appsBadHealthCheck: { code: 'apps:bad_health_check', status: 400, message: "The app's healthCheck is refused.", where: api },
  // Release pipelines (docs/contract.md#release-pipelines).
  pipelinesNotFound: { code: 'pipelines:not_found', status: 404, message: 'No such pipeline.', where: api },
  pipelinesRunNotFound: { code: 'pipelines:run_not_found', status: 404, message: 'No such run of the pipeline.', where: api },
  pipelinesRunInProgress: {
    code: 'pipelines:run_in_progress',
    status: 409,
    message: 'A run of the pipeline is in progress; one run per pipeline at a time.',
    where: api,
  },
  pipelinesBadStages: {
    code: 'pipelines:bad_stages',
    status: 400,
    message: "The pipeline's stages are refused: each app once, an app of the source's repository, not the source.",
    where: api,
  },
  pipelinesBakeFailed: {
    code: 'pipelines:bake_failed',
    message: "An app of the stage no longer had the run's release live at the end of the stage's bake.",
    where: workflow,
  },
  pipelinesDbFailed: {
    code: 'pipelines:db:failed',
    status: 503,
    message: 'The pipelines could not be read or written; try again shortly.',
    where: api,
  },
} as const satisfies Record<string, Entry>;

export type ErrorName = keyof typeof Errors;
export type ErrorEntry = (typeof Errors)[ErrorName];
export type ErrorCode = ErrorEntry['code'];
/** The codes an HTTP API answers: they have a status. */
export type HttpErrorEntry = Extract<ErrorEntry, { status: number }>;

export const ERROR_ENTRIES: readonly ErrorEntry[] = Object.values(Errors);

const BY_CODE = new Map<string, ErrorEntry>(ERROR_ENTRIES.map((entry) => [entry.code, entry]));

/** The entry of a code built at run time (e.g. `deploy:tar:${reason}`, typed against ErrorCode). */
export function errorByCode(code: ErrorCode): ErrorEntry {
  return BY_CODE.get(code)!;
}
