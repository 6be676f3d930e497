import { lstat, mkdir, readdir, readFile, readlink, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Errors } from '../../libs/errors';

/**
 * The files of an app (docs/contract.md#the-reference-receiver). A new release is staged in
 * `<deployDir>/.staging/<_doc>/` and goes live only once every record succeeded, so a failed
 * deployment leaves the live release untouched.
 *
 * Without `retain`, `<deployDir>/<app>/` is a directory whose files are replaced.
 * With `retain` (docs/contract.md#activate), each release is its own directory,
 * `<deployDir>/.releases/<app>/<_doc>/`, and `<deployDir>/<app>` is one symlink to the live one,
 * switched by writing a new symlink beside it and renaming it over the old: a reader that resolves
 * the link once sees the old release or the new one, never a mix. The last `releasesKept` releases
 * are kept (the most recently live first); older ones are removed after a switch, never the live one.
 * An app directory from before (a real directory, perhaps with the `.releases/` of older receivers
 * inside) becomes the first release(s) on the app's next retained deployment.
 */
export const RELEASES_DIR = '.releases';
export const STAGING_DIR = '.staging';
export const DEFAULT_RELEASES_KEPT = 5;

/** An ACTIVATE names a release this receiver does not hold; the message starts with the catalogued code. */
export class ReleaseNotKept extends Error {
  readonly code = Errors.receiverReleaseNotKept.code;
  constructor(app: string, id: string) {
    super(
      `${Errors.receiverReleaseNotKept.code}: release ${id} of app ${app} is not kept by this receiver ` +
        '(never deployed with retain, removed beyond the releases kept, or of another app)',
    );
  }
}

interface AppState {
  /** The live release's _doc (also readable from the link). */
  current?: string;
  /** Kept releases, most recently live first. */
  kept?: string[];
}

export class Releases {
  constructor(
    private readonly deployDir: string,
    private readonly stateDir: string,
    private readonly releasesKept = DEFAULT_RELEASES_KEPT,
  ) {}

  appDir(app: string): string {
    return join(this.deployDir, app);
  }

  /** Where a retained release of `app` lives. */
  releaseDir(app: string, id: string): string {
    return join(this.deployDir, RELEASES_DIR, app, id);
  }

  async staging(id: string): Promise<string> {
    const dir = join(this.deployDir, STAGING_DIR, id);
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    return dir;
  }

  async discardStaging(id?: string): Promise<void> {
    await rm(join(this.deployDir, STAGING_DIR, ...(id ? [id] : [])), { recursive: true, force: true });
  }

  /** Puts the staged files live for `app`; returns the _doc of the release it replaced, if known. */
  async activate(app: string, id: string, retain: boolean): Promise<string | undefined> {
    const previous = (await this.state(app)).current;
    const staging = join(this.deployDir, STAGING_DIR, id);
    if (retain || (await this.isLinked(app))) {
      await this.adoptDirectory(app, previous);
      const dir = this.releaseDir(app, id);
      if ((await this.linkTarget(app)) === id) throw new Error(`release ${id} of app ${app} is live; a release id deploys once`);
      await rm(dir, { recursive: true, force: true });
      await mkdir(join(this.deployDir, RELEASES_DIR, app), { recursive: true });
      await rename(staging, dir);
      await this.switchTo(app, id, retain ? this.releasesKept : 1);
      return previous;
    }
    const appDir = this.appDir(app);
    await mkdir(appDir, { recursive: true });
    // `.releases/` inside is what older receivers kept there: left for a later deployment with `retain` to take over.
    for (const name of await readdir(appDir)) if (name !== RELEASES_DIR) await rm(join(appDir, name), { recursive: true, force: true });
    for (const name of await readdir(staging)) await rename(join(staging, name), join(appDir, name));
    await this.writeState(app, { current: id });
    return previous;
  }

  /** The directory of the kept release `id` of `app`; ReleaseNotKept when this receiver has none. */
  async kept(app: string, id: string): Promise<string> {
    const dir = this.releaseDir(app, id);
    if (!(await this.isLinked(app)) || !(await isDirectory(dir))) throw new ReleaseNotKept(app, id);
    return dir;
  }

  /** ACTIVATE: makes the kept release `id` of `app` live, by the same atomic switch as a retained DEPLOY. */
  async activateKept(app: string, id: string): Promise<void> {
    await this.kept(app, id);
    await this.switchTo(app, id, this.releasesKept);
  }

  /** UNDEPLOY: removes the app's files (its link and every kept release), or keeps them all when `retain` says so. */
  async remove(app: string, retain: boolean): Promise<boolean> {
    if (retain) return false;
    await rm(this.appDir(app), { recursive: true, force: true });
    await rm(join(this.deployDir, RELEASES_DIR, app), { recursive: true, force: true });
    await rm(this.stateFile(app), { force: true });
    return true;
  }

  /** The atomic switch: a new link beside the old one, renamed over it; then the releases beyond `keep` go. */
  private async switchTo(app: string, id: string, keep: number): Promise<void> {
    const state = await this.state(app);
    // Releases on disk the state does not list (a crash before their switch, a lost state file) count as the oldest.
    const onDisk = await readdir(join(this.deployDir, RELEASES_DIR, app)).catch(() => [] as string[]);
    const listed = (state.kept ?? []).filter((k) => onDisk.includes(k));
    const kept = [id, ...listed, ...onDisk.filter((k) => !listed.includes(k))].filter((k, i, all) => all.indexOf(k) === i);
    // Recorded before the switch: a crash between the two leaves a kept release the state knows of.
    await this.writeState(app, { current: state.current, kept });
    const next = join(this.deployDir, `.${app}.next`);
    await rm(next, { force: true });
    await symlink(join(RELEASES_DIR, app, id), next, 'dir');
    await rename(next, this.appDir(app));
    // Only after the switch, and never the live one (first in `kept`).
    await this.writeState(app, { current: id, kept: kept.slice(0, Math.max(keep, 1)) });
    for (const old of kept.slice(Math.max(keep, 1))) await rm(this.releaseDir(app, old), { recursive: true, force: true });
  }

  /**
   * An app directory from before retention (a real directory) becomes a kept release: its own
   * `.releases/<_doc>/` (older receivers kept the outgoing release there) move out first, then the
   * directory itself is renamed to `.releases/<app>/<its _doc>` and a link takes its place. Between
   * those two renames the path is briefly absent (a directory cannot be swapped for a link in one
   * rename); a reader never sees a mix of releases.
   */
  private async adoptDirectory(app: string, current: string | undefined): Promise<void> {
    const appDir = this.appDir(app);
    const info = await lstat(appDir).catch(() => undefined);
    if (!info || info.isSymbolicLink() || !info.isDirectory()) return;
    const store = join(this.deployDir, RELEASES_DIR, app);
    await mkdir(store, { recursive: true });
    const older: string[] = [];
    const legacy = join(appDir, RELEASES_DIR);
    for (const name of await readdir(legacy).catch(() => [] as string[])) {
      await rm(join(store, name), { recursive: true, force: true });
      await rename(join(legacy, name), join(store, name));
      older.push(name);
    }
    await rm(legacy, { recursive: true, force: true });
    const id = current ?? `adopted-${Date.now()}`;
    await rm(join(store, id), { recursive: true, force: true });
    await rename(appDir, join(store, id));
    const next = join(this.deployDir, `.${app}.next`);
    await rm(next, { force: true });
    await symlink(join(RELEASES_DIR, app, id), next, 'dir');
    await rename(next, appDir);
    await this.writeState(app, { current: id, kept: [id, ...older.filter((o) => o !== id)] });
  }

  private async isLinked(app: string): Promise<boolean> {
    return (await lstat(this.appDir(app)).catch(() => undefined))?.isSymbolicLink() ?? false;
  }

  /** The _doc the app's link points to, if it is a link. */
  private async linkTarget(app: string): Promise<string | undefined> {
    const target = await readlink(this.appDir(app)).catch(() => undefined);
    return target?.split(/[\\/]/).at(-1);
  }

  private stateFile(app: string): string {
    return join(this.stateDir, 'releases', `${app}.json`);
  }

  private async state(app: string): Promise<AppState> {
    try {
      return JSON.parse(await readFile(this.stateFile(app), 'utf8')) as AppState;
    } catch {
      return {};
    }
  }

  private async writeState(app: string, state: AppState): Promise<void> {
    await mkdir(join(this.stateDir, 'releases'), { recursive: true });
    const file = this.stateFile(app);
    await writeFile(`${file}.tmp`, JSON.stringify(state));
    await rename(`${file}.tmp`, file);
  }
}

async function isDirectory(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isDirectory() ?? false;
}
