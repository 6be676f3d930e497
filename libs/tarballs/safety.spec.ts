import fc from 'fast-check';
import { posix } from 'node:path';
import { EntryGuard, safeRelativePath, stripComponents, TarballRejected } from './safety';

const limits = { maxEntries: 10, maxBytes: 100 };

function reasonOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof TarballRejected ? err.reason : `unexpected ${String(err)}`;
  }
  return undefined;
}

describe('safeRelativePath', () => {
  it.each(['/etc/passwd', '\\evil', 'C:\\x', 'a/../../b', 'a\\..\\b', 'nul\0byte'])('rejects %j', (name) => {
    expect(reasonOf(() => safeRelativePath(name))).toBe('unsafe_path');
  });

  it('normalises harmless names', () => {
    expect(safeRelativePath('./a//b/./c')).toBe('a/b/c');
    expect(safeRelativePath('a\\b')).toBe('a/b');
  });

  it('never returns a path that leaves the root or is absolute (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('a', '..', '.', '', '/', '\\', 'b.txt', 'C:'), { maxLength: 8 }), (parts) => {
        let out: string;
        try {
          out = safeRelativePath(parts.join(''));
        } catch (err) {
          return err instanceof TarballRejected;
        }
        const normal = posix.normalize(out || '.');
        return !out.startsWith('/') && normal !== '..' && !normal.startsWith('../');
      }),
    );
  });
});

describe('stripComponents', () => {
  it('drops the wrapper and anything beside it', () => {
    expect(stripComponents('wrap/a/b', 1)).toBe('a/b');
    expect(stripComponents('wrap', 1)).toBeNull();
    expect(stripComponents('', 0)).toBeNull();
    expect(stripComponents('x', 0)).toBe('x');
  });
});

describe('EntryGuard', () => {
  it('counts entries and bytes against the limits', () => {
    const guard = new EntryGuard({ ...limits, stripComponents: 0 });
    guard.check({ name: 'a', type: 'file', size: 60 });
    expect(reasonOf(() => guard.check({ name: 'b', type: 'file', size: 41 }))).toBe('too_large');
    const many = new EntryGuard({ maxEntries: 1, maxBytes: 100, stripComponents: 0 });
    many.check({ name: 'a', type: 'directory' });
    expect(reasonOf(() => many.check({ name: 'b', type: 'directory' }))).toBe('too_many_entries');
  });

  it('rejects devices and unknown types', () => {
    const guard = new EntryGuard({ ...limits, stripComponents: 0 });
    expect(reasonOf(() => guard.check({ name: 'd', type: 'block-device' }))).toBe('device_file');
    expect(reasonOf(() => guard.check({ name: 'd', type: null }))).toBe('corrupt');
  });

  it('forbids writing through a symlink and hardlinking to one', () => {
    const guard = new EntryGuard({ ...limits, stripComponents: 0 });
    expect(guard.check({ name: 'dir/link', type: 'symlink', linkname: '../dir2' })).toBe('dir/link');
    expect(reasonOf(() => guard.check({ name: 'dir/link/x', type: 'file', size: 1 }))).toBe('unsafe_link');
    expect(reasonOf(() => guard.check({ name: 'h', type: 'link', linkname: 'dir/link' }))).toBe('unsafe_link');
  });
});

describe('EntryGuard: symlinks resolved through the symlinks around them', () => {
  const guard = () => new EntryGuard({ ...limits, maxEntries: 100, stripComponents: 0 });
  const link = (g: EntryGuard, name: string, linkname: string) => reasonOf(() => g.check({ name, type: 'symlink', linkname }));

  it('refuses a link that leaves the root through an earlier link, though it reads as inside', () => {
    const g = guard();
    expect(link(g, 'a/b/s', '../..')).toBeUndefined();
    expect(link(g, 't', 'a/b/s/../../etc/passwd')).toBe('unsafe_link');
  });

  it('refuses a link that makes an earlier link leave the root (archive order does not matter)', () => {
    const g = guard();
    expect(link(g, 't', 'a/b/s/../../etc/passwd')).toBeUndefined();
    expect(link(g, 'a/b/s', '../..')).toBe('unsafe_link');
  });

  it('accepts chains that stay inside, in either order', () => {
    const g = guard();
    expect(link(g, 'bin/tool', '../lib/current/tool')).toBeUndefined();
    expect(link(g, 'lib/current', 'v2')).toBeUndefined();
    expect(link(g, 'libfoo.so', 'libfoo.so.1')).toBeUndefined();
    expect(link(g, 'libfoo.so.1', 'libfoo.so.1.2')).toBeUndefined();
    expect(link(g, 'up', 'lib/current/..')).toBeUndefined();
  });

  it('refuses loops, a link redefined to another target, backslashes and over-long targets', () => {
    const loop = guard();
    expect(link(loop, 'a', 'b/x')).toBeUndefined();
    expect(link(loop, 'b', 'a/y')).toBe('unsafe_link');
    const twice = guard();
    expect(link(twice, 'l', 'a')).toBeUndefined();
    expect(link(twice, 'l', 'a')).toBeUndefined();
    expect(link(twice, 'l', 'b')).toBe('unsafe_link');
    expect(link(guard(), 'w', 'q\\r/../..')).toBe('unsafe_link');
    expect(link(guard(), 'long', 'a/'.repeat(2049))).toBe('unsafe_link');
  });

  it('escapes control characters of entry names in its messages (finding 10)', () => {
    const g = guard();
    let message = '';
    try {
      g.check({ name: 'x\n\u001b[31m', type: 'symlink', linkname: '../out' });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toBe('symlink x\\n\\u001b[31m -> ../out leaves the root');
  });
});
