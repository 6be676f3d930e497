import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The files of an app in `<deployDir>/<app>/`. A new release is staged elsewhere and moved in
 * only once every record succeeded, so a failed deployment leaves the live release untouched.
 * `retain` moves the outgoing release to `<app>/.releases/<its _doc>/` instead of deleting it.
 */
export const RELEASES_DIR = '.releases';
export const STAGING_DIR = '.staging';

export class Releases {
  constructor(
    private readonly deployDir: string,
    private readonly stateDir: string,
  ) {}

  appDir(app: string): string {
    return join(this.deployDir, app);
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
    const appDir = this.appDir(app);
    const previous = await this.current(app);
    await mkdir(appDir, { recursive: true });
    const outgoing = (await readdir(appDir)).filter((name) => name !== RELEASES_DIR);
    if (outgoing.length > 0 && retain) {
      const keep = join(appDir, RELEASES_DIR, previous ?? `unknown-${Date.now()}`);
      await rm(keep, { recursive: true, force: true });
      await mkdir(keep, { recursive: true });
      for (const name of outgoing) await rename(join(appDir, name), join(keep, name));
    } else {
      for (const name of outgoing) await rm(join(appDir, name), { recursive: true, force: true });
    }
    const staging = join(this.deployDir, STAGING_DIR, id);
    for (const name of await readdir(staging)) await rename(join(staging, name), join(appDir, name));
    await this.setCurrent(app, id);
    return previous;
  }

  /** UNDEPLOY: removes the app's files, or keeps them all when `retain` says so. */
  async remove(app: string, retain: boolean): Promise<boolean> {
    if (retain) return false;
    await rm(this.appDir(app), { recursive: true, force: true });
    await rm(this.currentFile(app), { force: true });
    return true;
  }

  private currentFile(app: string): string {
    return join(this.stateDir, 'releases', `${app}.json`);
  }

  private async current(app: string): Promise<string | undefined> {
    try {
      return (JSON.parse(await readFile(this.currentFile(app), 'utf8')) as { current: string }).current;
    } catch {
      return undefined;
    }
  }

  private async setCurrent(app: string, id: string): Promise<void> {
    await mkdir(join(this.stateDir, 'releases'), { recursive: true });
    const file = this.currentFile(app);
    await writeFile(`${file}.tmp`, JSON.stringify({ current: id }));
    await rename(`${file}.tmp`, file);
  }
}
