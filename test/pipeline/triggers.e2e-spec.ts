import { lineWorkflowId } from '../../libs/deployments';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { githubHeaders, githubPush } from '../support/payloads';
import { PipelineFixture } from './pipeline-fixture';

/**
 * Triggers and several apps per repository (docs/contract.md#triggers, docs/contract.md#several-apps-per-repository): tag and branch triggers, path filters, and
 * several apps of one repository, each its own deployment and line; on the real stack.
 */
describe('triggers and environments: several apps of one repository', () => {
  let f: PipelineFixture;
  beforeAll(async () => {
    f = await PipelineFixture.start();
  });
  afterAll(() => f.stop());

  const configure = async (app: string, settings: Record<string, unknown>) => {
    const answer = await f.harness.request('PUT', `/1/apps/admin/${app}`, { body: settings });
    expect([app, answer.status, answer.json.error]).toEqual([app, 200, undefined]);
    return answer.json;
  };
  const live = (app: string) => readFile(join(f.deployDir, app, 'index.js'), 'utf8').catch(() => undefined);
  const labelled = (repo: string, label: string, files: Record<string, string> = {}, parent?: string) =>
    f.commit({ repo, parent, files: { 'index.js': `// ${label}\n`, ...files } });
  /** A push payload whose commits list what they changed, as GitHub sends them. */
  const pushTouching = (repo: string, sha: string, changed: string[], options: { before?: string; commits?: number } = {}) => {
    const payload = githubPush({ repo, sha, before: options.before });
    const listed = Array.from({ length: options.commits ?? 1 }, (_, i) => ({
      ...payload.commits[0],
      id: i === 0 ? sha : `${'0'.repeat(39)}${i}`,
      added: [],
      removed: [],
      modified: i === 0 ? changed : [],
    }));
    return f.harness.request('POST', '/1/deploy', { headers: githubHeaders('push'), body: { ...payload, commits: listed } });
  };

  it('a tag push v1.2.0 deploys the app on tags v* and not the one on branch main; a push to main the other way round', async () => {
    const repo = 'tagged';
    const view = await configure('api', { repository: `octo-org/${repo}`, deployOn: { tags: 'v*' } });
    expect(view.deployOn).toEqual({ tags: 'v*' });
    await configure('api-staging', { repository: `octo-org/${repo}`, deployOn: { branch: 'main' } });

    const release = await labelled(repo, 'release 1.2.0');
    const tagged = await f.push(repo, release.sha, { ref: 'refs/tags/v1.2.0' });
    expect(tagged.status).toBe(202);
    expect(tagged.json.ignored).toEqual([{ app: 'api-staging', reason: expect.stringContaining('tag pushes do not deploy it') }]);
    expect(await f.outcome(tagged.json.workflowId)).toEqual({ state: 'succeeded' });
    expect(await live('api')).toBe('// release 1.2.0\n');
    expect(await live('api-staging')).toBeUndefined();

    const nightly = await f.push(repo, release.sha, { ref: 'refs/tags/nightly' });
    expect(nightly.status).toBe(200);
    expect(nightly.json).toMatchObject({
      status: 'ignored',
      reason: expect.stringContaining("Tag nightly does not match api's deployOn.tags v*"),
    });

    const main = await labelled(repo, 'main', {}, release.sha);
    const pushed = await f.push(repo, main.sha);
    expect(pushed.json.ignored).toEqual([{ app: 'api', reason: expect.stringContaining('deploys tags matching v*') }]);
    expect(await f.outcome(pushed.json.workflowId)).toEqual({ state: 'succeeded' });
    expect(await live('api-staging')).toBe('// main\n');
    expect(await live('api')).toBe('// release 1.2.0\n');
  });

  it("a published GitHub release deploys its tag's commit to the app on tags, once with its tag push", async () => {
    const repo = 'released';
    await configure('rel-api', { repository: `octo-org/${repo}`, deployOn: { tags: 'v*' } });
    const commit = await labelled(repo, 'v2');
    f.github.repositories.get(`octo-org/${repo}`)!.tags = { 'v2.0.0': commit.sha };
    const event = {
      action: 'published',
      release: { tag_name: 'v2.0.0', target_commitish: 'main' },
      repository: githubPush({ repo }).repository,
    };
    const published = await f.harness.request('POST', '/1/deploy', { headers: githubHeaders('release'), body: event });
    expect(published.status).toBe(202);
    expect(await f.outcome(published.json.workflowId)).toEqual({ state: 'succeeded' });
    expect(await live('rel-api')).toBe('// v2\n');
    // The tag's push of the same commit is the same deployment.
    const tagPush = await f.push(repo, commit.sha, { ref: 'refs/tags/v2.0.0' });
    expect(tagPush.json).toMatchObject({ id: published.json.id, existing: true });
    const drafted = await f.harness.request('POST', '/1/deploy', {
      headers: githubHeaders('release'),
      body: { ...event, action: 'created' },
    });
    expect(drafted.json).toMatchObject({ status: 'ignored' });
  });

  it('a push touching only docs/** is ignored by the app with paths services/api/**, with the reason; one touching the service deploys', async () => {
    const repo = 'monorepo';
    await configure('mono-api', { repository: `octo-org/${repo}`, paths: ['services/api/**'] });
    const base = await labelled(repo, 'base');
    const docs = await labelled(repo, 'docs', { 'docs/guide.md': '# guide\n' }, base.sha);
    const ignored = await pushTouching(repo, docs.sha, ['docs/guide.md'], { before: base.sha });
    expect(ignored.status).toBe(200);
    expect(ignored.json).toMatchObject({
      status: 'ignored',
      reason: "No changed file matches mono-api's paths (services/api/**); the push changed docs/guide.md.",
    });
    expect(await f.harness.db.collection('deployments').countDocuments({ commit: docs.sha })).toBe(0);

    const service = await labelled(repo, 'service', { 'services/api/index.js': 'x\n' }, docs.sha);
    const deployed = await pushTouching(repo, service.sha, ['services/api/index.js'], { before: docs.sha });
    expect(deployed.status).toBe(202);
    expect(await f.outcome(deployed.json.workflowId)).toEqual({ state: 'succeeded' });
    expect(await live('mono-api')).toBe('// service\n');
  });

  it("reads the changed files from GitHub's compare API when the payload lists 20 commits (GitHub cuts the list there)", async () => {
    const repo = 'long-push';
    await configure('long-api', { repository: `octo-org/${repo}`, paths: ['services/api/**'] });
    const base = await labelled(repo, 'base');
    const head = await labelled(repo, 'head', { 'services/api/index.js': 'changed\n' }, base.sha);
    // The payload's 20 commits name only docs; GitHub's compare says services/api changed.
    const answer = await pushTouching(repo, head.sha, ['docs/x.md'], { before: base.sha, commits: 20 });
    expect(answer.status).toBe(202);
    expect(f.github.requests.some((r) => r.url.startsWith(`/repos/octo-org/${repo}/compare/${base.sha}...${head.sha}`))).toBe(true);
    expect(await f.outcome(answer.json.workflowId)).toEqual({ state: 'succeeded' });
  });

  it('one push deploys two apps of the same repository, each its own deployment and line; a redelivery duplicates neither', async () => {
    const repo = 'fanout';
    await configure('fan-a', { repository: `octo-org/${repo}` });
    await configure('fan-b', { repository: `octo-org/${repo}`, branch: 'main' });
    const commit = await labelled(repo, 'both');
    const pushed = await f.push(repo, commit.sha, { delivery: 'fanout-1' });
    expect(pushed.status).toBe(202);
    expect(pushed.json.deployments).toEqual([
      expect.objectContaining({ app: 'fan-a', id: pushed.json.id, existing: false }),
      expect.objectContaining({ app: 'fan-b', existing: false }),
    ]);
    const [a, b] = pushed.json.deployments;
    expect(a.id).not.toBe(b.id);
    expect(await f.outcome(a.workflowId)).toEqual({ state: 'succeeded' });
    expect(await f.outcome(b.workflowId)).toEqual({ state: 'succeeded' });
    expect([await live('fan-a'), await live('fan-b')]).toEqual(['// both\n', '// both\n']);
    const records = await f.harness.db.collection('deployments').find({ commit: commit.sha }).toArray();
    expect(records.map((r) => r.app).sort()).toEqual(['fan-a', 'fan-b']);
    // Each app's own release line.
    for (const app of ['fan-a', 'fan-b']) {
      expect(await f.harness.db.collection('release_lines').findOne({ _id: `admin/${app}` as never })).toMatchObject({
        app,
        head: { commit: commit.sha },
      });
      await expect(
        f.harness.temporal.workflow.getHandle(lineWorkflowId('admin', app, f.harness.config.temporal.taskQueue)).describe(),
      ).resolves.toBeDefined();
    }

    const again = await f.push(repo, commit.sha, { delivery: 'fanout-1' });
    expect(again.json.deployments.map((d: { id: string; existing: boolean }) => [d.id, d.existing])).toEqual([
      [a.id, true],
      [b.id, true],
    ]);
    expect(await f.harness.db.collection('deployments').countDocuments({ commit: commit.sha })).toBe(2);
  });

  it("promote staging → production puts staging's live commit at production's receiver, as production's release (cause promote) from the kept tarball", async () => {
    const repo = 'promoted';
    await configure('web-staging', { repository: `octo-org/${repo}`, branch: 'main', env: { STAGE: 'staging' } });
    await configure('web', { repository: `octo-org/${repo}`, deployOn: { tags: 'v*' }, env: { STAGE: 'production' } });
    await configure('elsewhere', { repository: 'octo-org/another' });
    const staged = await labelled(repo, 'staged');
    const pushed = await f.push(repo, staged.sha);
    expect(await f.outcome(pushed.json.workflowId)).toEqual({ state: 'succeeded' });
    expect(await live('web')).toBeUndefined();

    const tarballReads = () => f.github.requests.filter((r) => r.url.includes(`/tarball/${staged.sha}`)).length;
    const before = tarballReads();
    const promoted = await f.harness.request('POST', '/1/apps/admin/web-staging/promote', { body: { to: 'web' } });
    expect([promoted.status, promoted.json.cause]).toEqual([202, 'promote']);
    expect(await f.outcome(promoted.json.workflowId)).toEqual({ state: 'succeeded' });
    expect(await live('web')).toBe('// staged\n');
    expect(tarballReads()).toBe(before); // the kept tarball of staging's release, not GitHub
    const releases = (await f.harness.request('GET', '/1/apps/admin/web/releases')).json;
    expect(releases).toEqual([expect.objectContaining({ version: 1, cause: 'promote', commit: staged.sha, live: true })]);

    expect((await f.harness.request('POST', '/1/apps/admin/web-staging/promote', { body: { to: 'elsewhere' } })).json.error).toBe(
      'apps:promote:other_repository',
    );
    expect((await f.harness.request('POST', '/1/apps/admin/web-staging/promote', { body: { to: 'web-staging' } })).json.error).toBe(
      'apps:promote:same_app',
    );
    expect((await f.harness.request('POST', '/1/apps/admin/web-staging/promote', { body: { to: 'nope' } })).json.error).toBe(
      'apps:not_found',
    );
  });
});
