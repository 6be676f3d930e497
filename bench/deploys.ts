import { randomBytes } from 'node:crypto';
import { githubTarball } from '../test/support/archives';
import { GithubServer } from '../tools/github-standin/github-standin';
import { githubHeaders, githubPush } from '../test/support/payloads';
import type { DeploymentOutcome } from '../workflows/types';
import type { SkeletonStep } from './skeleton.workflow';
import { basic, BenchStack, HOST, http, median, profileEnv, round, sleep } from './lib';

export const OWNER = 'octo-org';
const PUSHERS = 50;

/** POSTs a GitHub push for owner/repo@sha to a gateway; resolves with the 202 body. */
export async function push(
  gateway: string,
  repo: string,
  sha: string,
  authorization = basic(),
): Promise<{ id: string; workflowId: string }> {
  const body = JSON.stringify(githubPush({ owner: OWNER, repo, sha }));
  const answer = await http(
    'POST',
    `${gateway}/1/deploy`,
    { ...githubHeaders('push'), authorization, 'content-type': 'application/json' },
    body,
  );
  if (answer.status !== 202) throw new Error(`push answered ${answer.status}: ${answer.text.slice(0, 200)}`);
  return JSON.parse(answer.text);
}

/** A ~1 MB (compressed) GitHub-layout tarball: package.json, index.js and 1 MB of base64 noise. */
export function megabyteTarball(repo: string): Promise<Buffer> {
  return githubTarball({
    owner: OWNER,
    repo,
    files: { 'index.js': 'console.log("hi")\n', 'blob.txt': randomBytes(1_000_000).toString('base64') },
  });
}

/** Commits `count` repositories (one commit each, same tarball) on the GitHub-shaped server. */
export function commitMany(github: GithubServer, prefix: string, count: number, tarball: Buffer): Array<{ repo: string; sha: string }> {
  return Array.from({ length: count }, (_, i) => {
    const repo = `${prefix}-${i}`;
    const sha = randomBytes(20).toString('hex');
    github.repositories.set(`${OWNER}/${repo}`, {
      files: { [sha]: { 'package.json': JSON.stringify({ name: repo, version: '1.0.0' }) } },
      tarballs: { [sha]: tarball },
    });
    return { repo, sha };
  });
}

export interface DeploymentTiming {
  id: string;
  workflowId: string;
  state: string;
  endToEndMs: number;
  fetchMs: number;
  uploadMs: number;
  processingMs: number;
  overheadMs: number;
  /** Inspected → upload begins: the release line's admission (the `queued` step; logged only when it had to wait). */
  queuedMs: number;
  /** The workflow run, start to close in its history (the server's clock), and that minus fetch, upload and processing. */
  runMs: number;
  runOverheadMs: number;
}

/**
 * Pushes every commit at once (round-robin over the gateways), waits for every workflow, and
 * reads each deployment's step times from its status log. End to end runs from the 202 to the
 * `done` entry; overhead is that minus fetch, upload and the target's processing.
 */
export async function deployAll(
  stack: BenchStack,
  database: string,
  gateways: string[],
  commits: Array<{ repo: string; sha: string }>,
): Promise<{ timings: DeploymentTiming[]; wallSeconds: number }> {
  const started = Date.now();
  // At most PUSHERS webhooks in flight, each redelivered after a 503 as GitHub would: 500 at once
  // measure the Temporal dev server's start deadline on 2 cores, not the deployments.
  const accepted: Array<{ id: string; workflowId: string; acceptedAt: number }> = new Array(commits.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(PUSHERS, commits.length) }, async () => {
      for (let i = next++; i < commits.length; i = next++) {
        const { repo, sha } = commits[i];
        for (let attempt = 1; ; attempt++) {
          try {
            accepted[i] = { ...(await push(gateways[i % gateways.length], repo, sha)), acceptedAt: Date.now() };
            break;
          } catch (error) {
            if (attempt >= 5 || !/answered 503/.test((error as Error).message)) throw error;
            await sleep(1_000 * attempt);
          }
        }
      }
    }),
  );
  const outcomes = await Promise.all(
    accepted.map((a) => stack.temporal.workflow.getHandle(a.workflowId).result() as Promise<DeploymentOutcome>),
  );
  const wallSeconds = (Date.now() - started) / 1000; // before the history reads below, which are the bench's own
  const transfers = await Promise.all(accepted.map((a) => activityTimes(stack, a.workflowId)));
  const entries = await stack.mongo
    .db(database)
    .collection('status_entries')
    .find({ deployment: { $in: accepted.map((a) => a.id) } })
    .sort({ ts: 1, _id: 1 })
    .toArray();
  const timings = accepted.map((a, i): DeploymentTiming => {
    const mine = entries.filter((e) => e.deployment === a.id);
    const at = (step: string, status?: string, last = false) => {
      const found = last
        ? mine.filter((e) => e.step === step).at(-1)
        : mine.find((e) => e.step === step && (!status || e.status === status));
      return found ? (found.ts as Date).getTime() : NaN;
    };
    const { fetchTarball: fetchMs = NaN, uploadPackage: uploadMs = NaN, run: runMs = NaN } = transfers[i];
    const processingMs = mine.some((e) => e.step === 'processing') ? at('processing', undefined, true) - at('processing', 'pending') : 0;
    const endToEndMs = at('done') - a.acceptedAt;
    const queuedMs = at('upload', 'pending') - at('inspect', 'ok');
    return {
      id: a.id,
      workflowId: a.workflowId,
      state: outcomes[i].state,
      endToEndMs,
      fetchMs,
      uploadMs,
      processingMs,
      overheadMs: endToEndMs - fetchMs - uploadMs - processingMs,
      queuedMs,
      runMs,
      runOverheadMs: runMs - fetchMs - uploadMs - processingMs,
    };
  });
  return { timings, wallSeconds };
}

/** Execution time (started → completed) per activity type, summed over attempts, from the workflow's history. */
export async function activityTimes(stack: BenchStack, workflowId: string): Promise<Record<string, number>> {
  const history = await stack.temporal.workflow.getHandle(workflowId).fetchHistory();
  const ms = (t: { seconds?: unknown; nanos?: number | null } | null | undefined) => Number(t?.seconds ?? 0) * 1000 + (t?.nanos ?? 0) / 1e6;
  const events = history.events ?? [];
  const types = new Map<string, string>();
  const started = new Map<string, number>();
  const times: Record<string, number> = {};
  for (const event of events) {
    const id = String(event.eventId);
    if (event.activityTaskScheduledEventAttributes) types.set(id, event.activityTaskScheduledEventAttributes.activityType?.name ?? '');
    const start = event.activityTaskStartedEventAttributes;
    if (start) started.set(String(start.scheduledEventId), ms(event.eventTime));
    const done = event.activityTaskCompletedEventAttributes;
    if (done) {
      const type = types.get(String(done.scheduledEventId)) ?? '';
      times[type] = (times[type] ?? 0) + ms(event.eventTime) - (started.get(String(done.scheduledEventId)) ?? NaN);
    }
  }
  // The run as the server saw it, start to close: the same clock for the skeleton (skeletonBatch).
  times.run = ms(events.at(-1)?.eventTime) - ms(events[0]?.eventTime);
  return times;
}

export function timingSummary(timings: DeploymentTiming[]) {
  const of = (key: keyof DeploymentTiming) => round(median(timings.map((t) => t[key] as number)));
  return {
    succeeded: timings.filter((t) => t.state === 'succeeded').length,
    medianOverheadMs: of('overheadMs'),
    medianEndToEndMs: of('endToEndMs'),
    medianFetchMs: of('fetchMs'),
    medianUploadMs: of('uploadMs'),
    medianProcessingMs: of('processingMs'),
    medianQueuedMs: of('queuedMs'),
    medianRunMs: of('runMs'),
    medianRunOverheadMs: of('runOverheadMs'),
  };
}

/** GitHub-shaped server, reference receiver, gateway and worker for deployments of one group. */
export async function deploymentStack(
  stack: BenchStack,
  group: string,
  options: { gateways?: number; workers?: number; githubUrl?: string; env?: NodeJS.ProcessEnv } = {},
) {
  const github = options.githubUrl ? undefined : await new GithubServer().start();
  const receiver = await stack.receiver(`receiver-${group}`);
  const env = stack.env(group, {
    GITHUB_API_URL: options.githubUrl ?? github!.url,
    DEFAULT_TARGET_URL: `${receiver.url}/push`,
    DEFAULT_TARGET_STATUS_URL: `${receiver.url}/status/{{id}}`,
    TARGET_ALLOW: HOST, // the receiver runs on loopback, refused unless allowed
    ...options.env,
  });
  const gateways = await Promise.all(Array.from({ length: options.gateways ?? 1 }, (_, i) => stack.gateway(`gateway-${group}-${i}`, env)));
  const workers = await Promise.all(
    Array.from({ length: options.workers ?? 1 }, (_, i) =>
      stack.worker(`worker-${group}-${i}`, { ...env, ...(i === 0 ? profileEnv(stack, group) : {}) }),
    ),
  );
  return {
    github,
    database: env.MONGO_DATABASE!,
    gatewayUrls: gateways.map((g) => g.url),
    gateways: gateways.map((g) => g.process),
    workers,
    receiver: receiver.process,
    receiverUrl: receiver.url,
    async stop() {
      for (const child of [...gateways.map((g) => g.process), ...workers, receiver.process]) await stack.stopChild(child);
      await github?.stop();
    },
  };
}

/**
 * The shape of a deployment's history, for the skeleton (bench/skeleton.workflow.ts): its
 * activities, local activities (markers), timers (with their durations) and search-attribute
 * upserts, in order.
 */
export async function historyPlan(stack: BenchStack, workflowId: string): Promise<SkeletonStep[]> {
  const history = await stack.temporal.workflow.getHandle(workflowId).fetchHistory();
  const plan: SkeletonStep[] = [];
  for (const event of history.events ?? []) {
    if (event.activityTaskScheduledEventAttributes) plan.push({ kind: 'activity' });
    else if (event.markerRecordedEventAttributes?.markerName === 'core_local_activity') plan.push({ kind: 'local' });
    else if (event.upsertWorkflowSearchAttributesEventAttributes) plan.push({ kind: 'upsert' });
    else if (event.timerStartedEventAttributes) {
      const timeout = event.timerStartedEventAttributes.startToFireTimeout;
      plan.push({ kind: 'timer', ms: Number(timeout?.seconds ?? 0) * 1000 + (timeout?.nanos ?? 0) / 1e6 });
    }
  }
  return plan;
}
