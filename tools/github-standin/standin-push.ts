import { createHmac, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { isRepositoryName } from '../../libs/github/names';
import { STANDIN_FILE } from './github-standin';
import { repoRoot } from '../stack/tools';

/**
 * `npm run standin:push -- <user>:<token> [owner/repo]`: with `GITHUB_STANDIN=1 npm start`
 * running, makes a new commit on the GitHub stand-in and delivers its push webhook to the
 * gateway, as GitHub would after a `git push` — a deployment to try without GitHub.
 */
export async function standinPush(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      branch: { type: 'string', default: 'main' },
      message: { type: 'string' },
      secret: { type: 'string' },
      actions: { type: 'boolean', default: false },
      app: { type: 'boolean', default: false },
    },
  });
  const [credentials, repository = 'demo/hello'] = positionals;
  const usage =
    'usage: npm run standin:push -- <user>:<password or API token> [owner/repo] [--branch main] [--message text] [--secret webhook-secret] [--actions] [--app]';
  if (!credentials?.includes(':')) throw new Error(usage);
  const parts = repository.split('/');
  if (parts.length !== 2 || !parts.every(isRepositoryName)) {
    throw new Error(
      `${repository} is not a GitHub repository: owner/repo, each of letters, digits, '-', '_' and '.', and not '.' or '..'.\n${usage}`,
    );
  }
  const urls = standinUrls();
  const made = await fetch(`${urls.github}/_standin/repos/${repository}/commits`, {
    method: 'POST',
    body: JSON.stringify({ branch: values.branch, message: values.message, actions: values.actions }),
  }).catch(() => null);
  if (!made) throw new Error(`The GitHub stand-in at ${urls.github} did not answer; is GITHUB_STANDIN=1 npm start still running?`);
  const body = await made.text();
  if (!made.ok) throw new Error(`The GitHub stand-in at ${urls.github} answered ${made.status}: ${messageOf(body)}`);
  const push = JSON.parse(body) as { after: string; head_commit: { message: string } };
  const answer = values.app
    ? await deliverToApp(urls, 'push', body)
    : await deliver(urls.gateway, credentials, 'push', body, values.secret);
  console.log(
    `pushed ${repository}@${push.after.slice(0, 7)} (${push.head_commit.message}) to ${values.branch}${values.actions ? ', GitHub Actions queued its check suite' : ''}; ${urls.gateway}${values.app ? '/1/github/webhook' : '/1/deploy'} answered ${answer.status}:`,
  );
  console.log(await answer.text());
  if (!answer.ok) process.exitCode = 1;
}

/**
 * `npm run standin:check -- <user>:<token> [owner/repo] [--conclusion success|failure]`: the
 * newest unfinished check suite of the repository completes on the stand-in, and its
 * `check_suite` webhook goes to the gateway, as GitHub Actions would report a finished run.
 */
export async function standinCheck(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { conclusion: { type: 'string', default: 'success' }, secret: { type: 'string' } },
  });
  const [credentials, repository = 'demo/hello'] = positionals;
  if (!credentials?.includes(':'))
    throw new Error(
      'usage: npm run standin:check -- <user>:<password or API token> [owner/repo] [--conclusion success|failure|cancelled] [--secret webhook-secret]',
    );
  const urls = standinUrls();
  const done = await fetch(`${urls.github}/_standin/repos/${repository}/check-suites/latest`, {
    method: 'POST',
    body: JSON.stringify({ conclusion: values.conclusion }),
  }).catch(() => null);
  if (!done) throw new Error(`The GitHub stand-in at ${urls.github} did not answer; is GITHUB_STANDIN=1 npm start still running?`);
  const body = await done.text();
  if (!done.ok)
    throw new Error(`The GitHub stand-in at ${urls.github} answered ${done.status}: ${messageOf(body)} (push with --actions first)`);
  const event = JSON.parse(body) as { check_suite: { head_sha: string } };
  const answer = await deliver(urls.gateway, credentials, 'check_suite', body, values.secret);
  console.log(
    `check suite of ${repository}@${event.check_suite.head_sha.slice(0, 7)} completed: ${values.conclusion}; ${urls.gateway}/1/deploy answered ${answer.status}:`,
  );
  console.log(await answer.text());
  if (!answer.ok) process.exitCode = 1;
}

/** A delivery to the GitHub App's webhook: no Basic auth, signed with the App's webhook secret. */
function deliverToApp(urls: { gateway: string; appWebhookSecret?: string }, event: string, body: string): Promise<Response> {
  if (!urls.appWebhookSecret)
    throw new Error('The stand-in has no GitHub App: start the stack with GITHUB_STANDIN=1 GITHUB_STANDIN_APP=1 npm start.');
  const headers = {
    'content-type': 'application/json',
    'x-github-event': event,
    'x-github-delivery': randomUUID(),
    'user-agent': 'GitHub-Hookshot/standin',
    'x-hub-signature-256': `sha256=${createHmac('sha256', urls.appWebhookSecret).update(body).digest('hex')}`,
  };
  return fetch(`${urls.gateway}/1/github/webhook`, { method: 'POST', headers, body }).catch(() => {
    throw new Error(`The gateway at ${urls.gateway} did not answer; is GITHUB_STANDIN=1 npm start still running?`);
  });
}

function standinUrls(): { github: string; gateway: string; appWebhookSecret?: string } {
  const stateDir = process.env.STACK_STATE_DIR ?? join(repoRoot, '.stack', 'dev');
  try {
    return JSON.parse(readFileSync(join(stateDir, STANDIN_FILE), 'utf8')) as ReturnType<typeof standinUrls>;
  } catch {
    throw new Error(
      `No GitHub stand-in is running (${join(stateDir, STANDIN_FILE)} is missing): start the stack with GITHUB_STANDIN=1 npm start.`,
    );
  }
}

/** A webhook delivery to the gateway's `/1/deploy`, as GitHub sends it. */
function deliver(gateway: string, credentials: string, event: string, body: string, secret?: string): Promise<Response> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'x-github-event': event,
    'x-github-delivery': randomUUID(),
    'user-agent': 'GitHub-Hookshot/standin',
    authorization: `Basic ${Buffer.from(credentials).toString('base64')}`,
  };
  if (secret) headers['x-hub-signature-256'] = `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
  return fetch(`${gateway}/1/deploy`, { method: 'POST', headers, body }).catch(() => {
    throw new Error(`The gateway at ${gateway} did not answer; is GITHUB_STANDIN=1 npm start still running?`);
  });
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
  (process.argv[2] === 'check' ? standinCheck(process.argv.slice(3)) : standinPush(process.argv.slice(2))).catch((error: Error) => {
    console.error(error.message);
    process.exit(1);
  });
}
