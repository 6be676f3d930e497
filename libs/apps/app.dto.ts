import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsISO8601,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { ApiError, Errors } from '../errors';

export const APP_NAME = /^[a-z0-9][a-z0-9._-]{0,99}$/i;

/** Bounds of an app's environment variables; an app over them would slow every request that reads it. */
export const ENV_LIMITS = { variables: 1000, valueBytes: 32 * 1024, totalBytes: 256 * 1024 };
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const KIB = 1024;

/**
 * Refuses environment variables over ENV_LIMITS, or with a bad name or value, with
 * `apps:bad_env`. Counts the names first, so a huge object is refused in milliseconds.
 */
export function checkEnv(env: Record<string, unknown>): void {
  const names = Object.keys(env);
  if (names.length > ENV_LIMITS.variables) {
    throw ApiError.of(
      Errors.appsBadEnv,
      `An app has at most ${ENV_LIMITS.variables} environment variables; this would make ${names.length}.`,
    );
  }
  let total = 0;
  for (const name of names) {
    const value = env[name];
    if (!ENV_NAME.test(name) || typeof value !== 'string') {
      throw ApiError.of(
        Errors.appsBadEnv,
        `Environment variable ${JSON.stringify(name).slice(0, 64)} needs a name like MY_VAR and a string value.`,
      );
    }
    const bytes = Buffer.byteLength(value);
    if (bytes > ENV_LIMITS.valueBytes) {
      throw ApiError.of(
        Errors.appsBadEnv,
        `Environment variable ${name} is ${Math.ceil(bytes / KIB)} KiB; a value is at most ${ENV_LIMITS.valueBytes / KIB} KiB.`,
      );
    }
    total += name.length + bytes;
  }
  if (total > ENV_LIMITS.totalBytes) {
    throw ApiError.of(
      Errors.appsBadEnv,
      `An app's environment variables (names and values) total at most ${ENV_LIMITS.totalBytes / KIB} KiB; this would make ${Math.ceil(total / KIB)} KiB.`,
    );
  }
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

export class TargetDto {
  @ApiProperty({
    description: 'Where packages are pushed.',
    format: 'uri',
    maxLength: 2048,
    example: 'https://deploy.example.com/push',
  })
  @IsString()
  @MaxLength(2048)
  @Matches(/^https?:\/\//, { message: 'url must be an http(s) URL' })
  url: string;

  @ApiPropertyOptional({
    description: "Polled for the package's processing; `{{id}}` is replaced by the id the target answered.",
    format: 'uri',
    maxLength: 2048,
  })
  @IsOptional()
  @IsString()
  @MaxLength(2048)
  @Matches(/^https?:\/\//, { message: 'statusUrl must be an http(s) URL' })
  statusUrl?: string;

  @ApiPropertyOptional({ description: 'HTTP Basic user for the target.', maxLength: 256 })
  @IsOptional()
  @IsString()
  @MaxLength(256)
  username?: string;

  @ApiPropertyOptional({
    description: 'HTTP Basic password for the target; stored encrypted, never echoed.',
    maxLength: 1024,
    writeOnly: true,
  })
  @IsOptional()
  @IsString()
  @MaxLength(1024)
  password?: string;

  @ApiPropertyOptional({ enum: ['tar.gz', 'zip'], default: 'tar.gz', description: 'Package format the target takes.' })
  @IsOptional()
  @IsIn(['tar.gz', 'zip'])
  archiveFormat?: 'tar.gz' | 'zip';
}

/** An app's preview apps (docs/contract.md#preview-apps). */
export class PreviewsDto {
  @ApiProperty({ description: 'Pull requests of the repository get preview apps.', example: true })
  @IsBoolean()
  enabled: boolean;

  @ApiPropertyOptional({
    type: () => TargetDto,
    description: "The previews' target; `{{pr}}` in url and statusUrl is the pull request's number. Default: the app's target.",
  })
  @IsOptional()
  @ValidateNested()
  @Type(() => TargetDto)
  target?: TargetDto;

  @ApiPropertyOptional({
    description: "A preview's URL (its GitHub deployment's `environment_url`); `{{pr}}` is the pull request's number.",
    maxLength: 2048,
    example: 'https://pr-{{pr}}.my-app.example.com',
  })
  @IsOptional()
  @IsString()
  @MaxLength(2048)
  @Matches(/^https?:\/\//, { message: 'previews.url must be an http(s) URL' })
  url?: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'string', maxLength: 32_768 },
    description: "Environment variables of the previews over the app's own (the same bounds as env).",
    example: { NODE_ENV: 'preview' },
  })
  @IsOptional()
  @IsObject()
  env?: Record<string, string>;

  @ApiPropertyOptional({
    description: 'A preview without a push for this long is torn down: a duration such as `36h` or `7d`.',
    default: '7d',
    pattern: '^[1-9][0-9]{0,4}(m|h|d)$',
  })
  @IsOptional()
  @IsString()
  @Matches(/^[1-9][0-9]{0,4}(m|h|d)$/, { message: 'previews.ttl must be a duration such as 36h or 7d' })
  ttl?: string;

  @ApiPropertyOptional({ description: 'Preview apps the app may have at once; one more is refused (`apps:previews:limit`).', default: 10 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100)
  max?: number;

  @ApiPropertyOptional({
    enum: ['approve', 'never'],
    default: 'approve',
    description:
      "A fork's pull request gets the app's env: `approve` deploys each of its heads only after an approval, `never` ignores forks.",
  })
  @IsOptional()
  @IsIn(['approve', 'never'])
  forks?: 'approve' | 'never';
}

/** What deploys an app (docs/contract.md#triggers): pushes to one branch, or tags matching a glob. */
export class DeployOnDto {
  @ApiPropertyOptional({ description: 'Pushes to this branch deploy (as `branch`).', maxLength: 255, example: 'main' })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  @Matches(/^[^\s~^:?*[\\]+$/, { message: 'deployOn.branch must be a valid git branch name' })
  branch?: string;

  @ApiPropertyOptional({
    description:
      'Pushes of tags matching this glob deploy the tagged commit, and so do published GitHub releases of such tags. `*` matches within a path segment, `**` across, `?` one character.',
    maxLength: 255,
    example: 'v*',
  })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  @Matches(/^[^\s~^:\\]+$/, { message: 'deployOn.tags must be a tag glob such as v*' })
  tags?: string;
}

/** An app's approval rule (docs/contract.md#approvals). */
export class ApprovalDto {
  @ApiPropertyOptional({ default: 1, minimum: 1, maximum: 10, description: 'Approvals needed.' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(10)
  required?: number;

  @ApiPropertyOptional({
    type: [String],
    maxItems: 100,
    description: "Who may approve or reject; default: the app's approvers and admins.",
  })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @MaxLength(100, { each: true })
  reviewers?: string[];

  @ApiPropertyOptional({ default: false, description: 'Whether whoever asked for a deployment may approve it.' })
  @IsOptional()
  @IsBoolean()
  allowSelf?: boolean;

  @ApiPropertyOptional({
    default: '72h',
    pattern: '^[1-9][0-9]{0,5}(s|m|h|d)$',
    description: 'How long a deployment waits for its decision.',
  })
  @IsOptional()
  @IsString()
  @Matches(/^[1-9][0-9]{0,5}(s|m|h|d)$/, { message: 'approval.timeout must be a duration such as 72h or 3d' })
  timeout?: string;

  @ApiPropertyOptional({
    type: [String],
    enum: ['push', 'travis', 'github', 'retry', 'rollback', 'auto-rollback', 'redeploy', 'env', 'promote', 'pipeline'],
    description: 'The causes that need approval; default: all but rollbacks.',
  })
  @IsOptional()
  @IsArray()
  @IsIn(['push', 'travis', 'github', 'retry', 'rollback', 'auto-rollback', 'redeploy', 'env', 'promote', 'pipeline'], { each: true })
  appliesTo?: string[];
}

/** An allow window (docs/contract.md#deploy-windows-and-freezes). */
export class WindowDto {
  @ApiProperty({ type: [String], enum: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], example: ['mon', 'tue', 'wed', 'thu', 'fri'] })
  @IsArray()
  @ArrayMinSize(1)
  @IsIn(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], { each: true })
  days: Array<'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun'>;

  @ApiProperty({ example: '09:00', pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$', description: 'Local time the window opens.' })
  @Matches(/^([01][0-9]|2[0-3]):[0-5][0-9]$/, { message: 'windows.start must be HH:MM' })
  start: string;

  @ApiProperty({
    example: '17:00',
    pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$',
    description: 'Local time it closes; before `start`: the next day.',
  })
  @Matches(/^([01][0-9]|2[0-3]):[0-5][0-9]$/, { message: 'windows.end must be HH:MM' })
  end: string;

  @ApiProperty({ example: 'Europe/Berlin', maxLength: 64, description: 'IANA time zone of `start` and `end`.' })
  @IsString()
  @MaxLength(64)
  tz: string;
}

/** A freeze (docs/contract.md#deploy-windows-and-freezes). */
export class FreezeDto {
  @ApiProperty({ format: 'date-time', example: '2026-12-20T00:00:00Z' })
  @IsISO8601()
  from: string;

  @ApiProperty({ format: 'date-time', example: '2027-01-04T00:00:00Z' })
  @IsISO8601()
  to: string;

  @ApiProperty({ maxLength: 200, example: 'Holidays' })
  @IsString()
  @MaxLength(200)
  reason: string;
}

/** Body of `PUT /1/apps/:user/:app`. */
export class AppDto {
  @ApiProperty({
    description: 'GitHub repository, `owner/name`.',
    example: 'octo-org/my-app',
    pattern: '^[A-Za-z0-9_.-]{1,100}/[A-Za-z0-9_.-]{1,100}$',
  })
  @IsString()
  @Matches(/^[A-Za-z0-9_.-]{1,100}\/[A-Za-z0-9_.-]{1,100}$/, { message: 'repository must be owner/name' })
  repository: string;

  @ApiPropertyOptional({ description: "Deploy branch; default: the repository's default branch.", maxLength: 255, example: 'main' })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  @Matches(/^[^\s~^:?*[\\]+$/, { message: 'branch must be a valid git branch name' })
  branch?: string;

  @ApiPropertyOptional({
    type: () => DeployOnDto,
    description:
      'What deploys the app: `{"branch": "main"}` (default: `branch`, else the repository\'s default branch) or `{"tags": "v*"}`; one of the two.',
  })
  @IsOptional()
  @ValidateNested()
  @Type(() => DeployOnDto)
  deployOn?: DeployOnDto;

  @ApiPropertyOptional({
    type: [String],
    maxItems: 100,
    description:
      "Globs of repository paths: a push deploys only when one of its changed files matches one (the push's commits, or GitHub's compare API when the payload lists too few).",
    example: ['services/api/**', 'package.json'],
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @MaxLength(500, { each: true })
  paths?: string[];

  @ApiPropertyOptional({ type: () => TargetDto, description: "Deployment target; default: the service's default target." })
  @IsOptional()
  @ValidateNested()
  @Type(() => TargetDto)
  target?: TargetDto;

  @ApiPropertyOptional({
    description: 'GitHub webhook secret: X-Hub-Signature-256 is then required and checked. Never echoed.',
    maxLength: 256,
    writeOnly: true,
  })
  @IsOptional()
  @IsString()
  @MaxLength(256)
  webhookSecret?: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'string', maxLength: 32_768 },
    maxProperties: 1000,
    description:
      'Environment variables delivered inside the package (as `jitsu set env`): at most 1000, each value at most 32 KiB, names and values 256 KiB in all.',
    example: { NODE_ENV: 'production' },
  })
  @IsOptional()
  @IsObject()
  env?: Record<string, string>;

  @ApiPropertyOptional({
    default: false,
    description:
      "Sent to the target in every package: `true` tells the receiver to keep the previous release's files (for rollback); `false` lets it replace them. On UNDEPLOY, `true` keeps the app's deployed files.",
  })
  @IsOptional()
  @IsBoolean()
  retain?: boolean;

  @ApiPropertyOptional({
    enum: ['auto', 'travis', 'github', 'none'],
    default: 'auto',
    description:
      'CI gate: `auto` waits for Travis when .travis.yml has a webhook notification and for GitHub checks when the commit has GitHub Actions workflows (or `requiredChecks` is set); `travis` or `github` always waits for that one; `none` never waits.',
  })
  @IsOptional()
  @IsIn(['auto', 'travis', 'github', 'none'])
  ci?: 'auto' | 'travis' | 'github' | 'none';

  @ApiPropertyOptional({
    type: [String],
    maxItems: 100,
    description:
      'GitHub check run names and commit status contexts that must pass; set, only these count (and the deployment waits for them to appear).',
    example: ['test', 'ci/circleci'],
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @MaxLength(200, { each: true })
  requiredChecks?: string[];

  @ApiPropertyOptional({
    description:
      'How long a deployment waits for CI (Travis or GitHub checks): a duration such as `45m` or `2h`; default TRAVIS_WAIT_TIMEOUT.',
    example: '30m',
    pattern: '^[1-9][0-9]{0,5}(s|m|h)$',
  })
  @IsOptional()
  @IsString()
  @Matches(/^[1-9][0-9]{0,5}(s|m|h)$/, { message: 'ciTimeout must be a duration such as 30m or 2h' })
  ciTimeout?: string;

  @ApiPropertyOptional({
    description: "GitHub deployment environment; default: the app's name.",
    maxLength: 255,
    example: 'production',
  })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  @Matches(/^[^\x00-\x1f]+$/, { message: 'environment must be printable text' })
  environment?: string;

  @ApiPropertyOptional({
    description: "Where the deployed app is reached: the GitHub deployment's `environment_url`.",
    format: 'uri',
    maxLength: 2048,
    example: 'https://my-app.example.com',
  })
  @IsOptional()
  @IsString()
  @MaxLength(2048)
  @Matches(/^https?:\/\//, { message: 'url must be an http(s) URL' })
  url?: string;

  @ApiPropertyOptional({
    enum: ['auto', 'required'],
    default: 'auto',
    description:
      'Travis `Signature` checks: `required` refuses Travis notifications that do not verify against TRAVIS_PUBLIC_KEY (all of them while it is unset); `auto` requires them when the app has a webhook secret or TRAVIS_PUBLIC_KEY is set.',
  })
  @IsOptional()
  @IsIn(['auto', 'required'])
  travisSignature?: 'auto' | 'required';

  @ApiPropertyOptional({
    type: () => ApprovalDto,
    description: 'Deployments wait in `awaiting_approval` for reviewers after CI, fetch and inspect (docs/contract.md#approvals).',
  })
  @IsOptional()
  @ValidateNested()
  @Type(() => ApprovalDto)
  approval?: ApprovalDto;

  @ApiPropertyOptional({
    type: () => [WindowDto],
    maxItems: 50,
    description: 'Deploy windows: deploying is allowed only inside one of them (none: always).',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @ValidateNested({ each: true })
  @Type(() => WindowDto)
  windows?: WindowDto[];

  @ApiPropertyOptional({ type: () => [FreezeDto], maxItems: 100, description: 'Freezes: no deploying from `from` to `to`.' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @ValidateNested({ each: true })
  @Type(() => FreezeDto)
  freezes?: FreezeDto[];

  @ApiPropertyOptional({
    type: () => PreviewsDto,
    description: 'Preview apps of pull requests (docs/contract.md#preview-apps): `<app>-pr-<n>` per open pull request.',
  })
  @IsOptional()
  @ValidateNested()
  @Type(() => PreviewsDto)
  previews?: PreviewsDto;

  @ApiPropertyOptional({
    type: 'object',
    description:
      "After the target reports SUCCESS, the deployment polls this URL for `bake` (step `verifying`); `failureThreshold` failures in a row end it `deploy:health:failed` and roll the app back to the release live before it. Fields: `url` (required; the target's outbound rules), `expectStatus` (`200-399`), `bodyIncludes`, `interval` (`10s`), `timeout` (`5s`), `failureThreshold` (3), `bake` (`2m`), `initialDelay` (`0s`). Absent: no bake.",
    properties: {
      url: { type: 'string', format: 'uri', maxLength: 2048 },
      expectStatus: { type: 'string', pattern: '^[1-5][0-9]{2}(-[1-5][0-9]{2})?$', default: '200-399' },
      bodyIncludes: { type: 'string', minLength: 1, maxLength: 200 },
      interval: { type: 'string', pattern: '^[0-9]{1,7}(ms|s|m|h)$', default: '10s', description: '1 s to 10 min.' },
      timeout: { type: 'string', pattern: '^[0-9]{1,7}(ms|s|m|h)$', default: '5s', description: '0.5 s to 60 s, at most `interval`.' },
      failureThreshold: { type: 'integer', minimum: 1, maximum: 20, default: 3 },
      bake: { type: 'string', pattern: '^[0-9]{1,7}(ms|s|m|h)$', default: '2m', description: 'Up to 2 h, and at most 1000 × `interval`.' },
      initialDelay: { type: 'string', pattern: '^[0-9]{1,7}(ms|s|m|h)$', default: '0s', description: 'Up to 30 min.' },
    },
    required: ['url'],
    additionalProperties: false,
    example: { url: 'https://my-app.example.com/healthz', bake: '5m', failureThreshold: 3 },
  })
  @IsOptional()
  @IsObject()
  healthCheck?: Record<string, unknown>;

  /** Run by GatewayValidationPipe before validation walks the body: a huge env is refused first. */
  static precheck(body: unknown): void {
    if (isRecord(body) && isRecord(body.env)) checkEnv(body.env);
    if (isRecord(body) && isRecord(body.previews) && isRecord(body.previews.env)) checkEnv(body.previews.env);
  }
}

/** Body of `PATCH /1/apps/:user/:app/env`: variables to set and names to remove. */
export class EnvPatchDto {
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'string', maxLength: 32_768 },
    maxProperties: 1000,
    description: "Variables to set; the app's variables afterwards are bounded as in PUT (1000, 32 KiB each, 256 KiB in all).",
    example: { API_URL: 'https://api.example.com' },
  })
  @IsOptional()
  @IsObject()
  set?: Record<string, string>;

  @ApiPropertyOptional({ type: [String], maxItems: 1000, description: 'Names of variables to remove.' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(1000)
  @IsString({ each: true })
  unset?: string[];

  @ApiPropertyOptional({
    description: "After the change, deploy the live release's code with the new env: a release with cause `env`.",
    example: true,
  })
  @IsOptional()
  @IsBoolean()
  deploy?: boolean;

  /** Run by GatewayValidationPipe before validation walks the body: a huge `set` is refused first. */
  static precheck(body: unknown): void {
    if (isRecord(body) && isRecord(body.set)) checkEnv(body.set);
  }
}
