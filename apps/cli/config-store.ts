import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';

/** What `deployctl login` keeps: never a password, only an API token. */
export interface Session {
  url: string;
  user: string;
  token: string;
  /** Set when login minted the token itself, so logout can revoke it. */
  tokenId?: string;
}

/** `DEPLOYCTL_CONFIG`, else `$XDG_CONFIG_HOME/deployctl/config.json`, else `~/.config/deployctl/config.json`. */
export function configPath(env: NodeJS.ProcessEnv = process.env, home = homedir()): string {
  if (env.DEPLOYCTL_CONFIG) return env.DEPLOYCTL_CONFIG;
  // The XDG spec says a relative XDG_CONFIG_HOME is invalid and must be ignored.
  const base = env.XDG_CONFIG_HOME && isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : join(home, '.config');
  return join(base, 'deployctl', 'config.json');
}

export class ConfigStore {
  constructor(readonly path: string) {}

  async load(): Promise<Session | null> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
    const session = JSON.parse(text) as Partial<Session>;
    if (typeof session.url !== 'string' || typeof session.user !== 'string' || typeof session.token !== 'string') return null;
    return session as Session;
  }

  /** Written to a 0600 temp file and renamed, so the token is never readable by others, even briefly. */
  async save(session: Session): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
    const temp = `${this.path}.${process.pid}.tmp`;
    await writeFile(temp, `${JSON.stringify(session, null, 2)}\n`, { mode: 0o600 });
    await chmod(temp, 0o600); // the umask cannot widen it, but an old temp file could
    await rename(temp, this.path);
  }

  async remove(): Promise<boolean> {
    const existed = (await this.load().catch(() => null)) !== null;
    await rm(this.path, { force: true });
    return existed;
  }
}
