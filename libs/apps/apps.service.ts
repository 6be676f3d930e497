import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { ApiError, Errors, storeCall } from '../errors';
import { withSampleId } from '../targets';
import { checkQuota, QUOTAS, QuotaLimits } from '../quotas';
import { SecretBox } from '../secrets';
import { AppDto, APP_NAME, checkEnv } from './app.dto';
import { AppConfigCache } from './app-config-cache';
import { isTimeZone } from './deploy-windows';
import { AppRecord, AppsRepository, PreviewsSetting, repositoryKey } from './apps.repository';
import { checkHealthCheck, HealthCheck } from './health-check';
import { APP_TARGET_RULES, AppTargetRules, TargetRulesCheck } from './target-rules';

/** What the API shows of an app: never a secret. */
export interface AppView {
  user: string;
  name: string;
  repository: string;
  branch?: string;
  /** Absent: the default, pushes to the repository's default branch. */
  deployOn?: { branch: string } | { tags: string };
  paths?: string[];
  target?: { url: string; statusUrl?: string; username?: string; hasPassword: boolean; archiveFormat: 'tar.gz' | 'zip' };
  hasWebhookSecret: boolean;
  envKeys: string[];
  retain: boolean;
  ci: AppRecord['ci'];
  requiredChecks?: string[];
  ciTimeout?: string;
  environment?: string;
  url?: string;
  travisSignature?: 'auto' | 'required';
  approval?: AppRecord['approval'];
  windows?: AppRecord['windows'];
  freezes?: AppRecord['freezes'];
  /** Checked after each deployment's cut-over (docs/contract.md#verified-releases). */
  healthCheck?: HealthCheck;
  lastDeployment?: string;
  /** After a rollback: pushes are ignored until POST …/unlock (docs/contract.md#rollback-and-the-lock). */
  locked?: { release: number; deployment: string; by: string; at: string };
  /** Preview apps of pull requests (docs/contract.md#preview-apps), without secrets. */
  previews?: {
    enabled: boolean;
    target?: { url: string; statusUrl?: string; username?: string; hasPassword: boolean; archiveFormat: 'tar.gz' | 'zip' };
    url?: string;
    envKeys: string[];
    ttl: string;
    max: number;
    forks: 'approve' | 'never';
  };
  /** A preview app's parent app and pull request. */
  previewOf?: { app: string; pr: number };
  createdAt: string;
  updatedAt: string;
}

/** An app with its secrets opened, for the pipeline only. */
export interface AppSecrets {
  record: AppRecord;
  target?: { url: string; statusUrl?: string; username?: string; password?: string; archiveFormat: 'tar.gz' | 'zip' };
  webhookSecret?: string;
  env: Record<string, string>;
}

/** Attempts of a compare-and-set write before answering `apps:conflict`; each waits a little longer, at random. */
const WRITE_ATTEMPTS = 10;
const RETRY_DELAY_MS = 20;

/**
 * Target URLs carry no credentials: they would be stored and shown in clear, where
 * target.username and target.password are kept apart and the password sealed.
 */
function checkTarget(target: AppDto['target']): void {
  for (const field of ['url', 'statusUrl'] as const) {
    const value = target?.[field];
    if (value == null) continue;
    let url: URL;
    try {
      url = new URL(value.replaceAll('{{id}}', 'id'));
    } catch {
      throw ApiError.of(Errors.appsBadTarget, `target.${field} is not a valid URL.`);
    }
    if (url.username !== '' || url.password !== '') {
      throw ApiError.of(
        Errors.appsBadTarget,
        `target.${field} must not contain a user or password; set target.username and target.password instead (the password is stored encrypted).`,
      );
    }
  }
}

/** `deployOn` and `branch` say one thing: a branch (either spelling, the same one) or tags. */
function checkTrigger(dto: AppDto): { branch?: string; tags?: string } {
  const on = dto.deployOn;
  const bad = (why: string) => ApiError.of(Errors.appsBadTrigger, why);
  if (on && (on.branch === undefined) === (on.tags === undefined))
    throw bad('deployOn takes either {"branch": "<name>"} or {"tags": "<glob>"}.');
  if (on?.tags !== undefined && dto.branch !== undefined)
    throw bad('An app deploys either a branch or tags: leave branch out with deployOn.tags.');
  if (on?.branch !== undefined && dto.branch !== undefined && on.branch !== dto.branch)
    throw bad(`branch (${dto.branch}) and deployOn.branch (${on.branch}) differ.`);
  for (const glob of dto.paths ?? [])
    if (glob.trim() === '' || glob.startsWith('/'))
      throw bad(`paths: ${JSON.stringify(glob)} is not a repository path glob (no leading /).`);
  return { branch: on?.branch ?? dto.branch, tags: on?.tags };
}

/** Where a target's password goes: the origins of its url and statusUrl. */
function targetOrigins(target: { url: string; statusUrl?: string | null }): string[] {
  return [target.url, target.statusUrl]
    .filter((url): url is string => url != null)
    .map((url) => {
      try {
        return new URL(withSampleId(url)).origin;
      } catch {
        return url;
      }
    });
}

/**
 * The stored password stays only while it keeps going where it was given for: a PUT that sends
 * the target to another origin (url or statusUrl) without the password drops it.
 */
function keptPassword(existing: AppRecord | null, target: NonNullable<AppDto['target']>): string | undefined {
  if (!existing?.target?.sealedPassword) return undefined;
  const before = targetOrigins(existing.target);
  return targetOrigins(target).every((origin) => before.includes(origin)) ? existing.target.sealedPassword : undefined;
}

/** A stored URL as shown: apps stored before checkTarget may hold credentials in it. */
const withoutCredentials = (url: string) => url.replace(/^(https?:\/\/)[^/?#]*@/i, '$1');

/** The previews' defaults (docs/contract.md#preview-apps). */
export const PREVIEW_DEFAULTS = { ttl: '7d', max: 10, forks: 'approve' } as const;

/** A previews target as one pull request's: `{{pr}}` filled in (here with a sample number, for the checks). */
export function withPr<T extends { url: string; statusUrl?: string }>(target: T, pr: number | string = 1): T {
  return {
    ...target,
    url: target.url.replaceAll('{{pr}}', String(pr)),
    ...(target.statusUrl !== undefined && { statusUrl: target.statusUrl.replaceAll('{{pr}}', String(pr)) }),
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

@Injectable()
export class AppsService {
  private readonly logger = new Logger(AppsService.name);
  private readonly targetRules: TargetRulesCheck;

  constructor(
    private readonly apps: AppsRepository,
    private readonly box: SecretBox,
    @Optional() @Inject(APP_TARGET_RULES) rules?: AppTargetRules,
    @Optional() private readonly cache?: AppConfigCache,
    @Optional() @Inject(QUOTAS) private readonly quotas?: QuotaLimits,
  ) {
    this.targetRules = new TargetRulesCheck(rules);
  }

  /** `uuid`: the x-api-uuid of the request, stored with the app (docs/contract.md#request-ids-and-versions). */
  async put(user: string, name: string, dto: AppDto, uuid: string): Promise<AppView> {
    if (!APP_NAME.test(name)) throw ApiError.of(Errors.appsBadName);
    if (dto.env) checkEnv(dto.env);
    checkTarget(dto.target);
    const trigger = checkTrigger(dto);
    checkHolds(dto);
    await this.targetRules.check(dto.target);
    const previewsTarget = dto.previews?.target && withPr(dto.previews.target);
    if (dto.previews?.env) checkEnv(dto.previews.env);
    checkTarget(previewsTarget);
    await this.targetRules.check(previewsTarget);

    const healthCheck = checkHealthCheck(dto.healthCheck);
    if (healthCheck) await this.targetRules.checkHealthUrl(healthCheck.url);
    const sealedEnv = dto.env && this.box.seal(JSON.stringify(dto.env));
    // Several apps may deploy one repository (docs/contract.md#several-apps-per-repository), each with its own trigger.
    const record = await this.write(user, name, async (existing) => {
      // A new app counts against APPS_MAX_PER_USER; changing one never does. Concurrent creations
      // may pass the cap by the few that read the same count (docs/reliability.md).
      if (!existing && this.quotas) checkQuota('apps', user, await this.guard(() => this.apps.countForUser(user)), this.quotas);
      const now = new Date();
      return {
        _id: `${user}/${name}`,
        user,
        name,
        repository: dto.repository,
        repositoryKey: repositoryKey(user, dto.repository),
        branch: trigger.branch,
        deployTags: trigger.tags,
        paths: dto.paths,
        target: dto.target && {
          url: dto.target.url,
          statusUrl: dto.target.statusUrl,
          username: dto.target.username,
          sealedPassword: dto.target.password !== undefined ? this.box.seal(dto.target.password) : keptPassword(existing, dto.target),
          archiveFormat: dto.target.archiveFormat ?? 'tar.gz',
        },
        sealedWebhookSecret: dto.webhookSecret !== undefined ? this.box.seal(dto.webhookSecret) : existing?.sealedWebhookSecret,
        // Like the secrets, env is kept when a PUT omits it (its values are never shown, so a
        // client could not send them back); PATCH …/env changes single variables.
        sealedEnv: sealedEnv ?? existing?.sealedEnv ?? this.box.seal('{}'),
        retain: dto.retain ?? false,
        ci: dto.ci ?? 'auto',
        requiredChecks: dto.requiredChecks,
        ciTimeout: dto.ciTimeout,
        environment: dto.environment,
        url: dto.url,
        travisSignature: dto.travisSignature,
        approval: dto.approval && { ...dto.approval },
        windows: dto.windows?.map((w) => ({ days: w.days, start: w.start, end: w.end, tz: w.tz })),
        freezes: dto.freezes?.map((f) => ({ from: new Date(f.from).toISOString(), to: new Date(f.to).toISOString(), reason: f.reason })),
        healthCheck,
        lastDeployment: existing?.lastDeployment,
        lock: existing?.lock,
        // Kept when a PUT omits it (as env: its env and password are never shown); `{"enabled": false}` turns previews off.
        previews: dto.previews ? this.previewsSetting(dto.previews, existing?.previews) : existing?.previews,
        previewOf: existing?.previewOf,
        createdAt: existing?.createdAt ?? now,
        updatedAt: now,
        uuid,
      };
    });
    return this.view(record);
  }

  /** Nodejitsu's `jitsu set env`: sets and removes single variables, keeping the others. */
  async patchEnv(user: string, name: string, change: { set?: Record<string, string>; unset?: string[] }, uuid: string): Promise<AppView> {
    if (change.set) checkEnv(change.set);
    const record = await this.write(user, name, (existing) => {
      if (!existing) throw ApiError.of(Errors.appsNotFound, `${user} has no app named ${name}.`);
      const env = { ...this.open(existing).env, ...change.set };
      for (const key of change.unset ?? []) delete env[key];
      checkEnv(env); // the bounds hold for the merged variables too
      return { ...existing, sealedEnv: this.box.seal(JSON.stringify(env)), updatedAt: new Date(), uuid };
    });
    return this.view(record);
  }

  /**
   * Read, compute, write only if nobody wrote in between (compare-and-set on `revision`), so
   * concurrent PUTs and PATCHes never lose each other's changes; on a conflict, again with a
   * fresh read, a few times.
   */
  private async write(
    user: string,
    name: string,
    next: (existing: AppRecord | null) => AppRecord | Promise<AppRecord>,
  ): Promise<AppRecord> {
    for (let attempt = 1; attempt <= WRITE_ATTEMPTS; attempt += 1) {
      const existing = await this.guard(() => this.apps.find(user, name));
      const revision = existing ? (existing.revision ?? 0) : null;
      const record = { ...(await next(existing)), revision: (revision ?? 0) + 1 };
      if (await this.guard(() => this.apps.save(record, revision))) return record;
      if (attempt < WRITE_ATTEMPTS) await sleep(Math.random() * RETRY_DELAY_MS * attempt);
    }
    throw ApiError.of(
      Errors.appsConflict,
      `${user}/${name} was being changed by other requests at the same time; read it again and retry.`,
    );
  }

  async get(user: string, name: string): Promise<AppView> {
    const record = await this.guard(() => this.apps.find(user, name));
    if (!record) throw ApiError.of(Errors.appsNotFound, `${user} has no app named ${name}.`);
    return this.view(record);
  }

  /** The first app configured for `repository` (of several, docs/contract.md#several-apps-per-repository), with its secrets opened. */
  async forRepository(user: string, repository: string): Promise<AppSecrets | null> {
    const record = await this.apps.findByRepository(user, repository);
    return record && this.open(record);
  }

  /** Every app of the user deploying `repository`, the first configured first, with their secrets opened. */
  async allForRepository(user: string, repository: string): Promise<AppSecrets[]> {
    return (await this.apps.allByRepository(user, repository)).map((record) => this.open(record));
  }

  /** allForRepository for webhook intake: served from memory (AppConfigCache), never older than a write made through the API. */
  async allForPush(user: string, repository: string): Promise<AppSecrets[]> {
    if (!this.cache) return this.allForRepository(user, repository);
    return (await this.cache.allForRepository(user, repository)).map((record) => this.open(record));
  }

  async forName(user: string, name: string): Promise<AppSecrets | null> {
    const record = await this.apps.find(user, name);
    return record && this.open(record);
  }

  private open(record: AppRecord): AppSecrets {
    const target = record.target && {
      url: record.target.url,
      statusUrl: record.target.statusUrl,
      username: record.target.username,
      password: record.target.sealedPassword ? this.box.open(record.target.sealedPassword) : undefined,
      archiveFormat: record.target.archiveFormat ?? 'tar.gz',
    };
    return {
      record,
      target,
      webhookSecret: record.sealedWebhookSecret ? this.box.open(record.sealedWebhookSecret) : undefined,
      env: record.sealedEnv ? (JSON.parse(this.box.open(record.sealedEnv)) as Record<string, string>) : {},
    };
  }

  /** The previews setting as stored: the target's password and the env sealed, each kept when a PUT omits it, as the app's own. */
  private previewsSetting(dto: NonNullable<AppDto['previews']>, existing?: PreviewsSetting): PreviewsSetting {
    const target = dto.target && {
      url: dto.target.url,
      ...(dto.target.statusUrl !== undefined && { statusUrl: dto.target.statusUrl }),
      ...(dto.target.username !== undefined && { username: dto.target.username }),
      ...(dto.target.password !== undefined
        ? { sealedPassword: this.box.seal(dto.target.password) }
        : existing?.target?.sealedPassword && existing.target.url === dto.target.url
          ? { sealedPassword: existing.target.sealedPassword }
          : {}),
      archiveFormat: dto.target.archiveFormat ?? 'tar.gz',
    };
    const sealedEnv = dto.env ? this.box.seal(JSON.stringify(dto.env)) : existing?.sealedEnv;
    return {
      enabled: dto.enabled,
      ...(target && { target }),
      ...(dto.url !== undefined && { url: dto.url }),
      ...(sealedEnv !== undefined && { sealedEnv }),
      ...(dto.ttl !== undefined && { ttl: dto.ttl }),
      ...(dto.max !== undefined && { max: dto.max }),
      ...(dto.forks !== undefined && { forks: dto.forks }),
    };
  }

  private previewsView(previews: PreviewsSetting): NonNullable<AppView['previews']> {
    return {
      enabled: previews.enabled,
      target: previews.target && {
        url: previews.target.url,
        statusUrl: previews.target.statusUrl,
        username: previews.target.username,
        hasPassword: previews.target.sealedPassword != null,
        archiveFormat: previews.target.archiveFormat ?? 'tar.gz',
      },
      url: previews.url,
      envKeys: Object.keys(this.openPreviewEnv(previews)),
      ttl: previews.ttl ?? PREVIEW_DEFAULTS.ttl,
      max: previews.max ?? PREVIEW_DEFAULTS.max,
      forks: previews.forks ?? PREVIEW_DEFAULTS.forks,
    };
  }

  /** The previews' env overrides and target password, opened (the previews' lifecycle builds preview apps from them). */
  openPreviewEnv(previews: PreviewsSetting): Record<string, string> {
    return previews.sealedEnv ? (JSON.parse(this.box.open(previews.sealedEnv)) as Record<string, string>) : {};
  }

  openSealed(sealed: string): string {
    return this.box.open(sealed);
  }

  seal(value: string): string {
    return this.box.seal(value);
  }

  private guard<T>(operation: () => Promise<T>): Promise<T> {
    return storeCall(Errors.appsDbFailed, operation, { logger: this.logger, log: 'apps store failed' });
  }

  private view(record: AppRecord): AppView {
    return {
      user: record.user,
      name: record.name,
      repository: record.repository,
      branch: record.branch,
      deployOn: record.deployTags ? { tags: record.deployTags } : record.branch ? { branch: record.branch } : undefined,
      paths: record.paths,
      target: record.target && {
        url: withoutCredentials(record.target.url),
        statusUrl: record.target.statusUrl && withoutCredentials(record.target.statusUrl),
        username: record.target.username,
        hasPassword: record.target.sealedPassword != null, // apps saved before AppsRepository.save dropped absent fields hold null
        archiveFormat: record.target.archiveFormat ?? 'tar.gz',
      },
      hasWebhookSecret: record.sealedWebhookSecret != null,
      envKeys: Object.keys(this.open(record).env),
      retain: record.retain,
      ci: record.ci,
      requiredChecks: record.requiredChecks,
      ciTimeout: record.ciTimeout,
      environment: record.environment,
      url: record.url,
      travisSignature: record.travisSignature,
      approval: record.approval,
      windows: record.windows,
      freezes: record.freezes,
      ...(record.healthCheck ? { healthCheck: record.healthCheck } : {}),
      lastDeployment: record.lastDeployment,
      locked: record.lock && { ...record.lock, at: record.lock.at.toISOString() },
      previews: record.previews && this.previewsView(record.previews),
      previewOf: record.previewOf,
      createdAt: record.createdAt.toISOString(),
      updatedAt: record.updatedAt.toISOString(),
    };
  }
}

/** Windows name IANA zones this runtime knows; a freeze ends after it starts (docs/contract.md#deploy-windows-and-freezes). */
function checkHolds(dto: AppDto): void {
  for (const window of dto.windows ?? []) {
    if (!isTimeZone(window.tz))
      throw ApiError.of(Errors.requestInvalid, `windows.tz ${JSON.stringify(window.tz)} is not an IANA time zone.`);
    if (window.start === window.end) throw ApiError.of(Errors.requestInvalid, 'A deploy window opens and closes at different times.');
  }
  for (const freeze of dto.freezes ?? []) {
    if (!(Date.parse(freeze.from) < Date.parse(freeze.to)))
      throw ApiError.of(Errors.requestInvalid, `The freeze "${freeze.reason}" ends before it starts.`);
  }
}
