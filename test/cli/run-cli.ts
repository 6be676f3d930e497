import { ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** The built CLI, as npm installs it: `npm test` builds dist first (scripts/prepare.sh). */
export const CLI = resolve(__dirname, '../../dist/apps/cli/main.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** An error line: `<code>: <message> (<uuid>)`. */
export const ERROR_LINE = (code: string) => new RegExp(`^${code.replace(/[.:]/g, '\\$&')}: .+ \\([0-9a-f-]{36}\\)$`, 'm');

/** Runs `deployctl` as a child process with its own config file. */
export class Cli {
  readonly configPath: string;

  private constructor(private readonly dir: string) {
    this.configPath = join(dir, 'deployctl', 'config.json');
  }

  static async create(): Promise<Cli> {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npx tsc -p tsconfig.build.json first`);
    return new Cli(await mkdtemp(join(tmpdir(), 'deployctl-')));
  }

  run(args: string[], options: { input?: string; env?: Record<string, string> } = {}): Promise<CliResult> {
    const child = this.spawn(args, options.env);
    child.stdin!.end(options.input ?? '');
    return collect(child);
  }

  /** For long-running commands (watch): the caller waits on `done`. */
  start(args: string[]): { child: ChildProcess; done: Promise<CliResult> } {
    const child = this.spawn(args);
    child.stdin!.end();
    return { child, done: collect(child) };
  }

  async json(args: string[]): Promise<any> {
    const result = await this.run([...args, '--json']);
    if (result.code !== 0) throw new Error(`deployctl ${args.join(' ')} failed (${result.code}): ${result.stderr}`);
    return JSON.parse(result.stdout);
  }

  cleanup(): Promise<void> {
    return rm(this.dir, { recursive: true, force: true });
  }

  private spawn(args: string[], env: Record<string, string> = {}): ChildProcess {
    const { NO_COLOR: _n, FORCE_COLOR: _f, ...inherited } = process.env;
    return spawn(process.execPath, [CLI, ...args], { env: { ...inherited, DEPLOYCTL_CONFIG: this.configPath, ...env }, stdio: 'pipe' });
  }
}

function collect(child: ChildProcess): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => (stdout += chunk));
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  return new Promise((done, fail) => {
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}
