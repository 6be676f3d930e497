import { createHmac, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { STANDIN_FILE } from './github-standin';
import { repoRoot } from './tools';

/**
 * `npm run standin:push -- <user>:<token> [owner/repo]`: with `GITHUB_STANDIN=1 npm start`
 * running, makes a new commit on the GitHub stand-in and delivers its push webhook to the
 * gateway, as GitHub would after a `git push` — a deployment to try without GitHub.
 */
async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { branch: { type: 'string', default: 'main' }, message: { type: 'string' }, secret: { type: 'string' } },
  });
  const [credentials, repository = 'demo/hello'] = positionals;
  if (!credentials?.includes(':') || !/^[\w.-]+\/[\w.-]+$/.test(repository)) {
    throw new Error('usage: npm run standin:push -- <user>:<password or API token> [owner/repo] [--branch main] [--message text] [--secret webhook-secret]');
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
  if (!made?.ok) throw new Error(`The GitHub stand-in at ${urls.github} did not answer; is GITHUB_STANDIN=1 npm start still running?`);
  const body = await made.text();
  const push = JSON.parse(body) as { after: string; head_commit: { message: string } };
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'x-github-event': 'push',
    'x-github-delivery': randomUUID(),
    'user-agent': 'GitHub-Hookshot/standin',
    authorization: `Basic ${Buffer.from(credentials).toString('base64')}`,
  };
  if (values.secret) headers['x-hub-signature-256'] = `sha256=${createHmac('sha256', values.secret).update(body).digest('hex')}`;
  const answer = await fetch(`${urls.gateway}/1/deploy`, { method: 'POST', headers, body });
  console.log(`pushed ${repository}@${push.after.slice(0, 7)} (${push.head_commit.message}) to ${values.branch}; ${urls.gateway}/1/deploy answered ${answer.status}:`);
  console.log(await answer.text());
  if (!answer.ok) process.exitCode = 1;
}

main().catch((error: Error) => {
  console.error(error.message);
  process.exit(1);
});
