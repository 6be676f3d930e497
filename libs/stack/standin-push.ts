import { createHmac, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { isRepositoryName } from '../github/names';
import { STANDIN_FILE } from './github-standin';
import { repoRoot } from './tools';

/**
 * `npm run standin:push -- <user>:<token> [owner/repo]`: with `GITHUB_STANDIN=1 npm start`
 * running, makes a new commit on the GitHub stand-in and delivers its push webhook to the
 * gateway, as GitHub would after a `git push` — a deployment to try without GitHub.
 */
export async function standinPush(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { branch: { type: 'string', default: 'main' }, message: { type: 'string' }, secret: { type: 'string' } },
  });
  const [credentials, repository = 'demo/hello'] = positionals;
  const usage = 'usage: npm run standin:push -- <user>:<password or API token> [owner/repo] [--branch main] [--message text] [--secret webhook-secret]';
  if (!credentials?.includes(':')) throw new Error(usage);
  const parts = repository.split('/');
  if (parts.length !== 2 || !parts.every(isRepositoryName)) {
    throw new Error(`${repository} is not a GitHub repository: owner/repo, each of letters, digits, '-', '_' and '.', and not '.' or '..'.\n${usage}`);
  }
  const stateDir = process.env.STACK_STATE_DIR ?? join(repoRoot, '.stack', 'dev');
  let urls: { github: string; gateway: string };
  try {
    urls = JSON.parse(readFileSync(join(stateDir, STANDIN_FILE), 'utf8'));
  } catch {
    throw new Error(`No GitHub stand-in is running (${join(stateDir, STANDIN_FILE)} is missing): start the stack with GITHUB_STANDIN=1 npm start.`);
  }
  const made = await fetch(`${urls.github}/_standin/repos/${repository}/commits`, {
    method: 'POST',
    body: JSON.stringify({ branch: values.branch, message: values.message }),
  }).catch(() => null);
  if (!made) throw new Error(`The GitHub stand-in at ${urls.github} did not answer; is GITHUB_STANDIN=1 npm start still running?`);
  const body = await made.text();
  if (!made.ok) throw new Error(`The GitHub stand-in at ${urls.github} answered ${made.status}: ${messageOf(body)}`);
  const push = JSON.parse(body) as { after: string; head_commit: { message: string } };
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'x-github-event': 'push',
    'x-github-delivery': randomUUID(),
    'user-agent': 'GitHub-Hookshot/standin',
    authorization: `Basic ${Buffer.from(credentials).toString('base64')}`,
  };
  if (values.secret) headers['x-hub-signature-256'] = `sha256=${createHmac('sha256', values.secret).update(body).digest('hex')}`;
  const answer = await fetch(`${urls.gateway}/1/deploy`, { method: 'POST', headers, body }).catch(() => {
    throw new Error(`The gateway at ${urls.gateway} did not answer; is GITHUB_STANDIN=1 npm start still running?`);
  });
  console.log(`pushed ${repository}@${push.after.slice(0, 7)} (${push.head_commit.message}) to ${values.branch}; ${urls.gateway}/1/deploy answered ${answer.status}:`);
  console.log(await answer.text());
  if (!answer.ok) process.exitCode = 1;
}

/** The `message` of a GitHub-style error body (with its errors' messages), else the body itself. */
function messageOf(body: string): string {
  try {
    const { message, errors } = JSON.parse(body) as { message?: string; errors?: Array<{ message?: string }> };
    const details = (errors ?? []).map((error) => error.message).filter(Boolean);
    if (message) return [message, ...details].join(' ');
  } catch {
    // not JSON: shown as it came
  }
  return body.slice(0, 500) || '(empty answer)';
}

if (require.main === module) {
  standinPush(process.argv.slice(2)).catch((error: Error) => {
    console.error(error.message);
    process.exit(1);
  });
}
