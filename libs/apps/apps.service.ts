import { Injectable, Logger } from '@nestjs/common';
import { ApiError } from '../errors';
import { SecretBox } from '../secrets';
import { AppDto, APP_NAME } from './app.dto';
import { AppRecord, AppsRepository } from './apps.repository';

/** What the API shows of an app: never a secret. */
export interface AppView {
  user: string;
  name: string;
  repository: string;
  branch?: string;
  target?: { url: string; statusUrl?: string; username?: string; hasPassword: boolean; archiveFormat: 'tar.gz' | 'zip' };
  hasWebhookSecret: boolean;
  envKeys: string[];
  retain: boolean;
  ci: AppRecord['ci'];
  lastDeployment?: string;
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

const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

function checkEnv(env: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(env)) {
    if (!ENV_KEY.test(key) || typeof value !== 'string' || value.length > 32_768) {
      throw new ApiError('apps:bad_env', 400, `Environment variable ${JSON.stringify(key).slice(0, 64)} needs a name like MY_VAR and a string value.`);
    }
  }
}

@Injectable()
export class AppsService {
  private readonly logger = new Logger(AppsService.name);

  constructor(private readonly apps: AppsRepository, private readonly box: SecretBox) {}

  /** `uuid`: the x-api-uuid of the request, stored with the app (SPEC 2). */
  async put(user: string, name: string, dto: AppDto, uuid: string): Promise<AppView> {
    if (!APP_NAME.test(name)) throw new ApiError('apps:bad_name', 400, 'App names are 1-100 letters, digits, dots, dashes or underscores.');
    if (dto.env) checkEnv(dto.env);
    const existing = await this.guard(() => this.apps.find(user, name));
    const now = new Date();
    const record: AppRecord = {
      _id: `${user}/${name}`,
      user,
      name,
      repository: dto.repository,
      branch: dto.branch,
      target: dto.target && {
        url: dto.target.url,
        statusUrl: dto.target.statusUrl,
        username: dto.target.username,
        sealedPassword: dto.target.password !== undefined ? this.box.seal(dto.target.password) : existing?.target?.sealedPassword,
        archiveFormat: dto.target.archiveFormat ?? 'tar.gz',
      },
      sealedWebhookSecret: dto.webhookSecret !== undefined ? this.box.seal(dto.webhookSecret) : existing?.sealedWebhookSecret,
      // Like the secrets, env is kept when a PUT omits it (its values are never shown, so a
      // client could not send them back); PATCH …/env changes single variables.
      sealedEnv: dto.env ? this.box.seal(JSON.stringify(dto.env)) : existing?.sealedEnv ?? this.box.seal('{}'),
      retain: dto.retain ?? false,
      ci: dto.ci ?? 'auto',
      lastDeployment: existing?.lastDeployment,
      createdAt: existing?.createdAt ?? now,
      updatedAt: now,
      uuid,
    };
    await this.guard(() => this.apps.save(record));
    return this.view(record);
  }

  /** The seed's `jitsu set env`: sets and removes single variables, keeping the others. */
  async patchEnv(user: string, name: string, change: { set?: Record<string, string>; unset?: string[] }, uuid: string): Promise<AppView> {
    if (change.set) checkEnv(change.set);
    const record = await this.guard(() => this.apps.find(user, name));
    if (!record) throw new ApiError('apps:not_found', 404, `${user} has no app named ${name}.`);
    const env = { ...this.open(record).env, ...change.set };
    for (const key of change.unset ?? []) delete env[key];
    const updated = { ...record, sealedEnv: this.box.seal(JSON.stringify(env)), updatedAt: new Date(), uuid };
    await this.guard(() => this.apps.save(updated));
    return this.view(updated);
  }

  async get(user: string, name: string): Promise<AppView> {
    const record = await this.guard(() => this.apps.find(user, name));
    if (!record) throw new ApiError('apps:not_found', 404, `${user} has no app named ${name}.`);
    return this.view(record);
  }

  /** The app a push to `repository` deploys, with its secrets opened. */
  async forRepository(user: string, repository: string): Promise<AppSecrets | null> {
    const record = await this.apps.findByRepository(user, repository);
    return record && this.open(record);
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
      env: record.sealedEnv ? JSON.parse(this.box.open(record.sealedEnv)) : {},
    };
  }

  private async guard<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      this.logger.error(`apps store failed: ${(error as Error).message}`);
      throw new ApiError('apps:db:failed', 503, 'The app store is not reachable right now. Try again shortly.');
    }
  }

  private view(record: AppRecord): AppView {
    return {
      user: record.user,
      name: record.name,
      repository: record.repository,
      branch: record.branch,
      target: record.target && {
        url: record.target.url,
        statusUrl: record.target.statusUrl,
        username: record.target.username,
        hasPassword: record.target.sealedPassword != null, // apps saved before AppsRepository.save dropped absent fields hold null
        archiveFormat: record.target.archiveFormat ?? 'tar.gz',
      },
      hasWebhookSecret: record.sealedWebhookSecret != null,
      envKeys: Object.keys(this.open(record).env),
      retain: record.retain,
      ci: record.ci,
      lastDeployment: record.lastDeployment,
      createdAt: record.createdAt.toISOString(),
      updatedAt: record.updatedAt.toISOString(),
    };
  }
}
