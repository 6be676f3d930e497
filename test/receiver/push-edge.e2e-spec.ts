import { githubTarball } from '../support/archives';
import { TargetClient, TargetError } from '../../libs/targets';
import { archiveOf, deploymentPackage, RunningReceiver, startReceiver, tempDirs } from './helpers';

const client = new TargetClient({ timeoutMs: 10_000, outbound: { allow: ['127.0.0.1'] } }); // a loopback receiver
let dirs: Awaited<ReturnType<typeof tempDirs>>;
let receiver: RunningReceiver;

beforeAll(async () => {
  dirs = await tempDirs();
  receiver = await startReceiver({
    deployDir: dirs.deployDir,
    stateDir: dirs.stateDir,
    username: 'inigo',
    password: 'montoya',
    maxArchiveBytes: 64 * 1024,
  });
});
afterAll(async () => {
  await receiver.close();
  await dirs.cleanup();
});

const auth = { authorization: `Basic ${Buffer.from('inigo:montoya').toString('base64')}` };

async function post(form: FormData, headers: Record<string, string> = auth): Promise<{ status: number; body: any }> {
  const res = await fetch(`${receiver.url}/push`, { method: 'POST', body: form, headers });
  return { status: res.status, body: await res.json() };
}

function form(parts: Record<string, string | Blob>): FormData {
  const f = new FormData();
  for (const [name, value] of Object.entries(parts)) {
    if (typeof value === 'string') f.append(name, value);
    else f.append(name, value, `${name}.tar.gz`);
  }
  return f;
}

describe('POST /push at the edge', () => {
  it('answers 401 with a challenge without valid Basic credentials, and never echoes the password', async () => {
    const err = (await client
      .push({ ...receiver.target, password: 'wrong-secret' }, deploymentPackage(), [archiveOf(await githubTarball())])
      .catch((e) => e)) as TargetError;
    expect(err).toBeInstanceOf(TargetError);
    expect(err).toMatchObject({ status: 401, retryable: false, kind: 'status' });
    expect(JSON.parse(err.bodyExcerpt!)).toMatchObject({ error: 'receiver:unauthorized' });
    expect(`${err.message} ${err.bodyExcerpt}`).not.toContain('wrong-secret');
    const res = await fetch(`${receiver.url}/status/x`);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Basic/);
  });

  it('answers 400 when the package part is missing, not JSON or invalid', async () => {
    const archive = new Blob([await githubTarball()]);
    const missing = await post(form({ 'archive-1': archive }));
    expect(missing).toMatchObject({ status: 400, body: { error: 'receiver:no_package' } });
    const notJson = await post(form({ package: '{nope', 'archive-1': archive }));
    expect(notJson).toMatchObject({ status: 400, body: { error: 'receiver:invalid_package' } });
    const badName = await post(
      form({ package: JSON.stringify(deploymentPackage({ app: { name: '../etc', version: '1' } })), 'archive-1': archive }),
    );
    expect(badName.status).toBe(400);
    expect(badName.body.message).toContain('package.app.name');
  });

  it('answers 400 for a DEPLOY without archive parts and for a body that is not multipart', async () => {
    const none = await post(form({ package: JSON.stringify(deploymentPackage()) }));
    expect(none).toMatchObject({ status: 400, body: { error: 'receiver:no_archive' } });
    const res = await fetch(`${receiver.url}/push`, {
      method: 'POST',
      body: '{}',
      headers: { ...auth, 'content-type': 'application/json' },
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toBe('receiver:bad_multipart');
  });

  it('answers 413 for an archive over the limit and 404 for an unknown package', async () => {
    const big = new Blob([Buffer.alloc(64 * 1024 + 1, 1)]);
    const tooBig = await post(form({ package: JSON.stringify(deploymentPackage()), 'archive-1': big }));
    expect(tooBig).toMatchObject({ status: 413, body: { error: 'receiver:too_large' } });
    const res = await fetch(`${receiver.url}/status/nothing-here`, { headers: auth });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: string }).error).toBe('receiver:not_found');
  });

  it('answers the same _doc to concurrent pushes of one package', async () => {
    const pkg = deploymentPackage();
    const tarball = await githubTarball();
    const answers = await Promise.all([1, 2, 3].map(() => client.push(receiver.target, pkg, [archiveOf(tarball)])));
    expect(answers.map((a) => a.remoteId)).toEqual([pkg._doc, pkg._doc, pkg._doc]);
  });
});
