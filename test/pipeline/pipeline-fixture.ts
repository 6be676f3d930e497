import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { WorkflowNotFoundError } from '@temporalio/client';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createReceiverApp, ReceiverHooks } from '../../apps/receiver';
import { temporalBinary } from '../../tools/stack';
import { DeploymentOutcome } from '../../workflows/types';
import { githubTarball } from '../support/archives';
import { GithubServer } from '../../tools/github-standin/github-standin';
import { AppLogFileLogger } from '../support/app-logs';
import { Harness } from '../support/harness';
import { githubHeaders, githubPush } from '../support/payloads';

/**
 * The pipeline's real stack for one test file: GitHub-shaped server, reference receiver,
 * gateway and worker on the Temporal dev server and the MongoDB-wire server.
 */
export class PipelineFixture {
  harness!: Harness;
  github!: GithubServer;
  receiver!: NestFastifyApplication;
  receiverUrl!: string;
  deployDir!: string;
  hooks: ReceiverHooks = {};
  private root!: string;

  /** `workerMongoUrl`: where the worker alone reaches MongoDB (a fault proxy in front of the run's server). */
  static async start(env: Record<string, string> = {}, options: { workerMongoUrl?: string } = {}): Promise<PipelineFixture> {
    const fixture = new PipelineFixture();
    fixture.root = await mkdtemp(join(tmpdir(), 'pipeline-'));
    fixture.deployDir = join(fixture.root, 'deploy');
    fixture.github = await new GithubServer().start();
    const hooks = fixture.hooks;
    fixture.receiver = await createReceiverApp(
      {
        deployDir: fixture.deployDir,
        stateDir: join(fixture.root, 'state'),
        maxArchiveBytes: 64 * 1024 * 1024,
        maxEntries: 10_000,
        bodyLimitBytes: 65 * 1024 * 1024,
        hooks: { execute: (pkg, record, dir) => hooks.execute?.(pkg, record, dir) ?? Promise.resolve() },
      },
      new AppLogFileLogger(),
    );
    await fixture.receiver.listen(0, '127.0.0.1');
    fixture.receiverUrl = (await fixture.receiver.getUrl()).replace('[::1]', '127.0.0.1');
    fixture.harness = await Harness.start({
      workerMongoUrl: options.workerMongoUrl,
      env: {
        GITHUB_API_URL: fixture.github.url,
        DEFAULT_TARGET_URL: `${fixture.receiverUrl}/push`,
        DEFAULT_TARGET_STATUS_URL: `${fixture.receiverUrl}/status/{{id}}`,
        TAR_MAX_ENTRIES: '1000',
        ...env,
      },
    });
    return fixture;
  }

  /** A commit on the GitHub-shaped server (a child of `parent` when given, for the compare API); answers its sha. */
  async commit(
    options: { repo?: string; files?: Record<string, string>; tarball?: Buffer; private?: boolean; travis?: boolean; parent?: string } = {},
  ): Promise<{ repo: string; sha: string }> {
    const repo = options.repo ?? `app-${randomBytes(3).toString('hex')}`;
    const sha = randomBytes(20).toString('hex');
    const files: Record<string, string> = {
      'package.json': JSON.stringify({ name: repo, version: '1.2.3' }),
      'index.js': 'console.log("hi")\n',
      ...options.files,
    };
    if (options.travis)
      files['.travis.yml'] = 'language: node_js\nnotifications:\n  webhooks:\n    urls:\n      - http://localhost/1/deploy\n';
    const existing = this.github.repositories.get(`octo-org/${repo}`) ?? { private: options.private, files: {}, tarballs: {} };
    existing.files[sha] = files;
    existing.tarballs[sha] = options.tarball ?? (await githubTarball({ owner: 'octo-org', repo, sha, files }));
    this.github.repositories.set(`octo-org/${repo}`, existing);
    this.github.addCommit(`octo-org/${repo}`, sha, options.parent ? [options.parent] : []);
    return { repo, sha };
  }

  /** An app of admin's for `octo-org/<app>`, on the shared default target (the fixture's receiver). */
  async configure(app: string): Promise<void> {
    const put = await this.harness.request('PUT', `/1/apps/admin/${app}`, { body: { repository: `octo-org/${app}` } });
    if (put.status !== 200) throw new Error(`PUT /1/apps/admin/${app} answered ${put.status}: ${JSON.stringify(put.json)}`);
  }

  /** A commit whose index.js names it, so the receiver's deploy directory tells which one is live (liveLabel). */
  labelledCommit(repo: string, label: string, parent?: string): Promise<{ repo: string; sha: string }> {
    return this.commit({ repo, parent, files: { 'index.js': `// ${label}\n` } });
  }

  /** The index.js the receiver has live for the app. */
  liveLabel(app: string): Promise<string> {
    return readFile(join(this.deployDir, app, 'index.js'), 'utf8');
  }

  /** `before` and `pushedAt` (Unix seconds) as GitHub sends them: what orders the app's release line. */
  push(
    repo: string,
    sha: string,
    options: {
      delivery?: string;
      ref?: string;
      headers?: Record<string, string>;
      body?: string;
      before?: string;
      pushedAt?: number;
      forced?: boolean;
    } = {},
  ) {
    const payload = githubPush({ repo, sha, ref: options.ref, before: options.before, pushedAt: options.pushedAt, forced: options.forced });
    return this.harness.request('POST', '/1/deploy', {
      headers: { ...githubHeaders('push', options.delivery), ...options.headers },
      body: options.body ?? payload,
    });
  }

  /** Deletes the workflow from Temporal as an operator would (`temporal workflow delete`), once describe no longer finds it. */
  async deleteWorkflow(workflowId: string): Promise<void> {
    const { address, namespace } = this.harness.config.temporal;
    execFileSync(temporalBinary(), ['workflow', 'delete', '--address', address, '--namespace', namespace, '--workflow-id', workflowId]);
    const handle = this.harness.temporal.workflow.getHandle(workflowId);
    for (let gone = false; !gone;) {
      gone = await handle.describe().then(
        () => false,
        (error) => error instanceof WorkflowNotFoundError,
      );
      if (!gone) await sleep(200);
    }
  }

  outcome(workflowId: string): Promise<DeploymentOutcome> {
    return this.harness.temporal.workflow.getHandle(workflowId).result();
  }

  async steps(deployment: string): Promise<Array<{ step: string; status: string; error?: { code: string } }>> {
    const response = await this.harness.request('GET', `/1/deployments/${deployment}`);
    return response.json.steps;
  }

  async stop(): Promise<void> {
    await this.harness?.stop();
    await this.receiver?.close();
    await this.github?.stop();
    await rm(this.root, { recursive: true, force: true });
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` until it holds; fails (naming no time budget in the assertion) after 30 s. */
export async function waitFor(check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(100);
  }
}
