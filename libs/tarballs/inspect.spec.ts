import { Readable } from 'node:stream';
import {
  buildTarGz,
  githubTarball,
  githubTopDir,
  HOSTILE_REASONS,
  HostileKind,
  hostileTarball,
  TEST_LIMITS,
} from '../../test/support/archives';
import { inspectTarball, walkTarball } from './inspect';
import { TarballRejected } from './safety';

async function rejection(archive: Buffer, limits = TEST_LIMITS): Promise<TarballRejected> {
  try {
    await inspectTarball(Readable.from([archive]), limits);
  } catch (err) {
    if (err instanceof TarballRejected) return err;
    throw err;
  }
  throw new Error('expected the archive to be rejected');
}

describe('inspectTarball', () => {
  it('accepts a clean GitHub tarball and counts its entries and bytes', async () => {
    const archive = await githubTarball({ files: { 'index.js': 'hello', 'lib/a.js': 'abc' } });
    // top dir + lib/ + package.json + index.js + lib/a.js
    const summary = await inspectTarball(Readable.from([archive]), TEST_LIMITS);
    expect(summary.entries).toBe(5);
    expect(summary.bytes).toBe(Buffer.byteLength(JSON.stringify({ name: 'app', version: '1.0.0' })) + 5 + 3);
  });

  it('accepts links that stay inside the stripped root', async () => {
    const top = githubTopDir();
    const archive = await githubTarball({
      files: { 'lib/a.js': 'a' },
      extra: [
        { name: `${top}/lib/alias.js`, type: 'symlink', linkname: './a.js' },
        { name: `${top}/root-alias`, type: 'symlink', linkname: 'lib/../package.json' },
        { name: `${top}/copy.js`, type: 'link', linkname: `${top}/lib/a.js` },
      ],
    });
    await expect(inspectTarball(Readable.from([archive]), TEST_LIMITS)).resolves.toMatchObject({ entries: 7 });
  });

  it.each(Object.keys(HOSTILE_REASONS) as HostileKind[])('rejects the hostile archive %s', async (kind) => {
    const err = await rejection(await hostileTarball(kind));
    expect(err.reason).toBe(HOSTILE_REASONS[kind]);
    expect(err.code).toBe(`deploy:tar:${HOSTILE_REASONS[kind]}`);
  });

  it('treats a link escaping only once the wrapper is stripped as unsafe', async () => {
    const top = githubTopDir();
    const archive = await githubTarball({ extra: [{ name: `${top}/up`, type: 'symlink', linkname: '../sibling' }] });
    expect((await rejection(archive)).reason).toBe('unsafe_link');
    // Without stripping the same link stays inside the archive root.
    await expect(inspectTarball(Readable.from([archive]), { ...TEST_LIMITS, stripComponents: 0 })).resolves.toBeDefined();
  });

  it('rejects a hardlink to an entry that is not an earlier file', async () => {
    const top = githubTopDir();
    const archive = await githubTarball({ extra: [{ name: `${top}/l`, type: 'link', linkname: `${top}/later.txt` }] });
    expect((await rejection(archive)).reason).toBe('unsafe_link');
  });

  it('reports garbage that is not gzip as corrupt', async () => {
    expect((await rejection(Buffer.from('definitely not gzip'))).reason).toBe('corrupt');
  });

  it('keeps the source error when the source itself fails', async () => {
    const failing = new Readable({
      read() {
        this.destroy(new Error('disk on fire'));
      },
    });
    await expect(inspectTarball(failing, TEST_LIMITS)).rejects.toThrow('disk on fire');
  });

  it('hands accepted entries to a visitor with stripped paths', async () => {
    const archive = await buildTarGz([
      { name: 'wrap/', type: 'directory' },
      { name: 'wrap/a.txt', content: 'alpha' },
      { name: 'stray.txt', content: 'dropped by the strip rule' },
    ]);
    const seen: Record<string, string> = {};
    await walkTarball(Readable.from([archive]), TEST_LIMITS, async (path, _header, stream) => {
      const chunks: Buffer[] = [];
      for await (const chunk of stream) chunks.push(chunk);
      seen[path] = Buffer.concat(chunks).toString();
    });
    expect(seen).toEqual({ 'a.txt': 'alpha' });
  });
});
