import { Readable } from 'node:stream';
import * as yauzl from 'yauzl';
import { githubTarball, githubTopDir, hostileTarball } from '../../test/support/archives';
import { ZipManifest } from './zip-repack';
import { tarGzToZip } from './zip-repack';

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function zipContents(zip: Buffer): Promise<Record<string, string>> {
  const file = await yauzl.fromBufferPromise(zip, { lazyEntries: true });
  const out: Record<string, string> = {};
  for (;;) {
    const entry = await new Promise<yauzl.Entry | undefined>((resolve, reject) => {
      file
        .once('entry', resolve)
        .once('end', () => resolve(undefined))
        .once('error', reject);
      file.readEntry();
    });
    file.removeAllListeners();
    if (!entry) return out;
    if (entry.fileName.endsWith('/')) continue;
    const stream = await new Promise<Readable>((resolve, reject) =>
      file.openReadStream(entry, (err, s) => (err ? reject(err) : resolve(s))),
    );
    out[entry.fileName] = (await collect(stream)).toString('utf8');
  }
}

describe('tarGzToZip', () => {
  it('keeps the wrapper, adds a manifest with sizes and sha256', async () => {
    const top = githubTopDir();
    const zip = await collect(tarGzToZip(Readable.from([await githubTarball({ files: { 'lib/a.js': 'alpha' } })])));
    const contents = await zipContents(zip);
    expect(contents[`${top}/lib/a.js`]).toBe('alpha');
    const manifest = JSON.parse(contents['manifest.json']) as ZipManifest;
    expect(manifest.root).toBe(top);
    expect(manifest.entries).toContainEqual({
      path: 'lib/a.js',
      type: 'file',
      size: 5,
      sha256: '8ed3f6ad685b959ead7022518e1af76cd816f8e8ec7ccdda1ed4018e8f2223f8',
    });
    expect(manifest.entries).toContainEqual({ path: 'lib', type: 'directory', size: 0 });
  });

  it('fails the zip stream with the rejection when the tarball is hostile', async () => {
    await expect(collect(tarGzToZip(Readable.from([await hostileTarball('symlink_escape')])))).rejects.toMatchObject({
      reason: 'unsafe_link',
    });
  });
});
