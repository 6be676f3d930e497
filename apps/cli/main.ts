#!/usr/bin/env node
import { ApiClient } from './api-client';
import { commandHelp, Context, overview, parse, findCommand } from './command';
import { COMMANDS } from './commands';
import { ConfigStore, configPath } from './config-store';
import { ApiFailure, UsageError } from './errors';
import { formatFailure, Output, Stream } from './output';

export interface Io {
  stdout: Stream;
  stderr: Stream;
  stdin: NodeJS.ReadableStream;
  env: NodeJS.ProcessEnv;
}

const HELP = new Set(['--help', '-h', 'help']);

/** Runs one command line; answers the exit code (0 ok, 1 API or network error, 2 usage, 130 Ctrl-C). */
export async function main(argv: string[], io: Io = process): Promise<number> {
  const out = new Output(io.stdout, io.stderr, io.env);
  if (argv.length === 0 || HELP.has(argv[0])) {
    (argv.length === 0 ? out.note.bind(out) : out.line.bind(out))(overview(COMMANDS));
    return argv.length === 0 ? 2 : 0;
  }
  const { command, group, rest } = findCommand(COMMANDS, argv);
  if (!command) {
    const asked = group !== undefined && rest.length > 0 && HELP.has(rest[0]);
    if (!asked)
      out.note(
        group && rest.length === 0
          ? `deployctl: ${group} needs a command.`
          : `deployctl: unknown command "${argv.slice(0, group ? 2 : 1).join(' ')}".`,
      );
    (asked ? out.line.bind(out) : out.note.bind(out))(overview(COMMANDS, group));
    return asked ? 0 : 2;
  }

  const abort = new AbortController();
  const interrupt = () => abort.abort();
  process.once('SIGINT', interrupt);
  const store = new ConfigStore(configPath(io.env));
  const ctx: Context = {
    out,
    store,
    env: io.env,
    signal: abort.signal,
    readStdin: () => readAll(io.stdin),
    async connect() {
      const session = await store.load();
      if (!session) throw new UsageError('Not logged in: run deployctl login --url <gateway> --user <user> first.');
      return { api: new ApiClient(session.url, session.user, session.token), session };
    },
  };
  try {
    const { args, flags } = parse(command, rest);
    if (flags.help) out.line(commandHelp(command));
    else await command.run(ctx, args, flags);
    return abort.signal.aborted ? 130 : 0;
  } catch (error) {
    if (error instanceof UsageError) {
      out.note(`deployctl: ${error.message}\nRun "deployctl ${command.name} --help" for usage.`);
      return error.exitCode;
    }
    if (error instanceof ApiFailure) {
      out.note(formatFailure(error));
      return error.exitCode;
    }
    if (abort.signal.aborted) return 130;
    out.note(`cli:internal: ${(error as Error).stack ?? String(error)}`);
    return 1;
  } finally {
    process.off('SIGINT', interrupt);
  }
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += chunk.toString();
  return text;
}

// Exit explicitly: keep-alive sockets must not hold a finished command open. Writes to pipes and
// files are synchronous on POSIX, so nothing printed is lost.
if (require.main === module) void main(process.argv.slice(2)).then((code) => process.exit(code));
