import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiFailure, UsageError } from '../errors';
import { Output } from '../output';
import { AppView, mergeApp } from './apps';
import type { StatusEntryView } from '../../../libs/status/status-entry';
import { describeDeployment, groupDeployments, shortCommit } from './deploys';
import { parseAssignments, parseKeys, replaceEnv } from './env-change';
import { notificationEvents } from './notify';
import { appOrHere, releaseNumber, rollbackArgs } from './releases';
import { backoffMs, formatChange, retryable } from './watch';

const APP: AppView = {
  user: 'alice',
  name: 'web',
  repository: 'o/web',
  createdAt: 't',
  branch: 'main',
  deployOn: { branch: 'main' },
  hasWebhookSecret: true,
  envKeys: ['A'],
  retain: true,
  ci: 'none',
  updatedAt: 't',
  target: { url: 'http://r/push', statusUrl: 'http://r/s/{{id}}', username: 'u', hasPassword: true, archiveFormat: 'zip' },
};

describe('env changes', () => {
  it('parses KEY=VALUE at the first =, values may be empty', () => {
    expect(parseAssignments(['A=1', 'B=x=y', 'C='])).toEqual({ A: '1', B: 'x=y', C: '' });
    for (const bad of ['A', '=1', '1A=2', 'A-B=1']) expect(() => parseAssignments([bad])).toThrow(UsageError);
    expect(() => parseKeys(['OK', 'not ok'])).toThrow(/"not ok"/);
  });

  it('replaces by setting the given variables and removing the other current keys', () => {
    expect(replaceEnv(['A', 'B'], { B: '2', C: '3' })).toEqual({ set: { B: '2', C: '3' }, unset: ['A'] });
    expect(replaceEnv([], {})).toEqual({ set: {}, unset: [] });
  });
});

describe('apps set merge', () => {
  it('keeps every setting the flags leave alone and sends secrets only when given', () => {
    expect(mergeApp(APP, { branch: 'dev' })).toEqual({
      repository: 'o/web',
      branch: 'dev',
      retain: true,
      ci: 'none',
      env: undefined,
      webhookSecret: undefined,
      target: { url: 'http://r/push', statusUrl: 'http://r/s/{{id}}', username: 'u', password: undefined, archiveFormat: 'zip' },
    });
    expect(mergeApp(APP, { 'no-retain': true, 'drop-env': true }, { targetPassword: 'p', webhookSecret: 's' })).toMatchObject({
      retain: false,
      env: {},
      target: { password: 'p' },
      webhookSecret: 's',
    });
    expect(() => mergeApp(null, { repository: 'o/r' }, { targetPassword: 'p' })).toThrow(/--target-password-stdin needs .*--target-url/);
  });

  it('sends the GitHub settings again as shown (a PUT without them would drop them), or as the flags say', () => {
    const github: AppView = {
      ...APP,
      ci: 'github',
      requiredChecks: ['test'],
      ciTimeout: '45m',
      environment: 'prod',
      url: 'https://web.example',
    };
    expect(mergeApp(github, { branch: 'dev' })).toMatchObject({
      ci: 'github',
      requiredChecks: ['test'],
      ciTimeout: '45m',
      environment: 'prod',
      url: 'https://web.example',
    });
    expect(mergeApp(github, { 'required-check': ['lint', 'ci/circleci'], environment: 'staging' })).toMatchObject({
      requiredChecks: ['lint', 'ci/circleci'],
      environment: 'staging',
    });
    expect(mergeApp(github, { 'no-required-checks': true }).requiredChecks).toBeUndefined();
    expect(() => mergeApp(github, { 'no-required-checks': true, 'required-check': ['x'] })).toThrow(/not both/);
  });

  it('sets the health check from --health-* flags, keeps it as shown otherwise, drops it with --no-health-check', () => {
    const url = 'https://web.example/healthz';
    expect(mergeApp(APP, { 'health-url': url, 'health-bake': '5m', 'health-threshold': '2' }).healthCheck).toEqual({
      url,
      bake: '5m',
      failureThreshold: 2,
    });
    const baked: AppView = {
      ...APP,
      healthCheck: { url, expectStatus: '200-399', interval: '10s', timeout: '5s', failureThreshold: 3, bake: '2m', initialDelay: '0s' },
    };
    expect(mergeApp(baked, { branch: 'dev' }).healthCheck).toEqual(baked.healthCheck);
    expect(mergeApp(baked, { 'health-interval': '30s' }).healthCheck).toMatchObject({ url, interval: '30s', bake: '2m' });
    expect(mergeApp(baked, { 'no-health-check': true }).healthCheck).toBeUndefined();
    expect(() => mergeApp(APP, { 'health-bake': '5m' })).toThrow(/--health-url/);
    expect(() => mergeApp(APP, { 'health-url': url, 'health-threshold': 'three' })).toThrow(/--health-threshold/);
    expect(() => mergeApp(baked, { 'no-health-check': true, 'health-bake': '1m' })).toThrow(/not both/);
  });

  it('keeps the trigger (tags, paths) unless the flags change it', () => {
    const tagged: AppView = { ...APP, branch: undefined, deployOn: { tags: 'v*' }, paths: ['services/api/**'] };
    expect(mergeApp(tagged, { retain: true })).toMatchObject({ deployOn: { tags: 'v*' }, paths: ['services/api/**'], branch: undefined });
    expect(mergeApp(tagged, { branch: 'main' })).toMatchObject({ branch: 'main' });
    expect(mergeApp(tagged, { branch: 'main' }).deployOn).toBeUndefined();
    expect(mergeApp(APP, { tags: 'v*', path: ['a/**'] })).toMatchObject({ branch: undefined, deployOn: { tags: 'v*' }, paths: ['a/**'] });
    expect(mergeApp(tagged, { 'no-paths': true }).paths).toBeUndefined();
    expect(() => mergeApp(APP, { tags: 'v*', branch: 'x' })).toThrow(/not both/);
  });

  it('checks what a new app needs and what the API accepts', () => {
    expect(() => mergeApp(null, {})).toThrow(/--repository/);
    expect(() => mergeApp(null, { repository: 'o/r', 'status-url': 'http://s' })).toThrow(/--status-url needs .*--target-url/);
    expect(() => mergeApp(null, { repository: 'o/r', ci: 'jenkins' })).toThrow(/--ci/);
    expect(() => mergeApp(null, { repository: 'o/r', 'archive-format': 'rar', 'target-url': 'http://t' })).toThrow(/--archive-format/);
    expect(mergeApp(null, { repository: 'o/r' })).toEqual({
      repository: 'o/r',
      branch: undefined,
      target: undefined,
      webhookSecret: undefined,
      env: undefined,
      retain: undefined,
      ci: undefined,
    });
  });
});

describe('deployments', () => {
  const entry = (deployment: string, step: string, status: StatusEntryView['status'], ts: string): StatusEntryView => ({
    id: `${deployment}:${ts}`,
    uuid: 'u',
    user: 'alice',
    app_name: 'web',
    deployment,
    step,
    status,
    provider: 'github',
    commit: 'o/web/0123456789abcdef',
    ts,
  });

  it('groups the newest-first log by deployment, most recently active first', () => {
    const groups = groupDeployments([
      entry('d2', 'fetch', 'pending', '4'),
      entry('d1', 'done', 'ok', '3'),
      entry('d2', 'received', 'ok', '2'),
      entry('d1', 'received', 'ok', '1'),
    ]);
    expect(groups.map(({ deployment, step, status, started, updated }) => ({ deployment, step, status, started, updated }))).toEqual([
      { deployment: 'd2', step: 'fetch', status: 'pending', started: '2', updated: '4' },
      { deployment: 'd1', step: 'done', status: 'ok', started: '1', updated: '3' },
    ]);
    expect(shortCommit('o/web/0123456789abcdef')).toBe('web@0123456');
    expect(shortCommit('odd')).toBe('odd');
  });
});

describe('watch', () => {
  it('backs off from 0.5 s to at most 30 s and retries only server and network failures', () => {
    expect([1, 2, 3, 10].map(backoffMs)).toEqual([500, 1000, 2000, 30_000]);
    expect(retryable(new ApiFailure('mw:auth:unauthorized', 'x', 'u', 401))).toBe(false);
    expect(retryable(new ApiFailure('request:invalid', 'x', 'u', 400))).toBe(false);
    expect(retryable(new ApiFailure('status:changes:fatal', 'x', 'u', 500))).toBe(true);
    expect(retryable(new ApiFailure('cli:unreachable', 'x'))).toBe(true);
    expect(retryable(new TypeError('terminated'))).toBe(true);
  });

  it('prints an entry with its step, status colour and error', () => {
    const out = new Output({ write: () => true }, { write: () => true }, { FORCE_COLOR: '1' });
    const line = formatChange(out, {
      app_name: 'web',
      status: 'error',
      seq: '1',
      doc: {
        ts: '2024-01-01T00:00:00.000Z',
        deployment: 'd1',
        step: 'done',
        status: 'error',
        error: { code: 'deploy:tar:corrupt', message: 'Bad tar.' },
      },
    });
    expect(line).toBe('2024-01-01 00:00:00Z  web  d1  \x1b[31mdone           error  \x1b[0m  deploy:tar:corrupt: Bad tar.');
  });
});

describe('notify add events', () => {
  it('takes short or full event names, all by default, and refuses unknown ones', () => {
    expect(notificationEvents(['succeeded', 'deployment.failed'])).toEqual(['deployment.succeeded', 'deployment.failed']);
    expect(notificationEvents([])).toHaveLength(6);
    expect(() => notificationEvents(['exploded'])).toThrow(UsageError);
  });
});

describe('release arguments', () => {
  it('reads vN or N as a release, and one argument as the release only when it looks like one', () => {
    expect(releaseNumber('v3')).toBe(3);
    expect(releaseNumber('12')).toBe(12);
    for (const bad of ['v0', 'x', 'v-1', 'v1.2', '']) expect(() => releaseNumber(bad)).toThrow(UsageError);
    expect(rollbackArgs([])).toEqual({ app: undefined });
    expect(rollbackArgs(['v2'])).toEqual({ release: 2 });
    expect(rollbackArgs(['web'])).toEqual({ app: 'web' });
    expect(rollbackArgs(['web', '4'])).toEqual({ app: 'web', release: 4 });
  });

  it('takes the app from package.json in the current directory when none is named', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'appdir-'));
    try {
      await expect(appOrHere(undefined, dir)).rejects.toThrow(/Name the app/);
      await writeFile(join(dir, 'package.json'), JSON.stringify({ name: '@acme/web' }));
      await expect(appOrHere(undefined, dir)).resolves.toBe('web');
      await expect(appOrHere('other', dir)).resolves.toBe('other');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('approvals (docs/contract.md#approvals)', () => {
  it('apps set keeps the approval rule, windows and freezes it does not change', () => {
    const held = {
      ...APP,
      approval: { required: 2 },
      windows: [{ days: ['mon' as const], start: '09:00', end: '17:00', tz: 'Europe/Berlin' }],
      freezes: [{ from: '2026-12-20T00:00:00.000Z', to: '2027-01-04T00:00:00.000Z', reason: 'Holidays' }],
    };
    expect(mergeApp(held, { branch: 'dev' })).toMatchObject({ approval: held.approval, windows: held.windows, freezes: held.freezes });
  });

  it('the CLI subscribes to the approval events only when they are named', () => {
    expect(notificationEvents([])).not.toContain('deployment.awaiting_approval');
    expect(notificationEvents(['awaiting_approval', 'approved'])).toEqual(['deployment.awaiting_approval', 'deployment.approved']);
  });
});

describe('deploys get', () => {
  it("shows a bake's progress while the deployment verifies", () => {
    const out = new Output({ write: () => true }, { write: () => true }, {});
    const lines = describeDeployment(out, {
      id: 'd1',
      workflowId: 'w1',
      user: 'alice',
      repository: 'o/web',
      commit: 'abc',
      provider: 'github',
      uuid: 'u',
      createdAt: '2024-01-01T00:00:00.000Z',
      app: 'web',
      state: {
        state: 'verifying',
        step: 'verifying',
        attempt: 1,
        timings: {},
        bake: { probes: 4, failuresInARow: 1, failureThreshold: 3, endsAt: '2024-01-01T00:02:00.000Z' },
      },
      temporalUi: 'http://ui',
      steps: [],
    });
    expect(lines.join('\n')).toContain('verifying at step verifying');
    expect(lines.join('\n')).toMatch(
      /Bake +4 health checks so far, 1 of 3 failures in a row; passes at 2024-01-01 00:02:00Z at the earliest/,
    );
  });
});
