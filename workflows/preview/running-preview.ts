import type { PreviewCarried, PreviewEnd, PreviewEvent, PreviewHead, PreviewInput, PreviewWorkflowState } from '../types';

/** How long a preview lives without a push when its app does not say (previews.ttl). */
export const DEFAULT_TTL_MS = 7 * 24 * 60 * 60 * 1000;
/** How often the preview asks GitHub whether its pull request is still open: a lost `closed` is caught within this. */
export const RECONCILE_MS = 15 * 60 * 1000;
/** How often a deployment of the preview is looked at until it ends (`preview.ready`). */
export const DEPLOYMENT_POLL_MS = 5_000;

/**
 * The preview's state (as the deployment's RunningDeployment): the signal handler only queues
 * events; the workflow's loop handles them one at a time, so no decision interleaves another.
 */
export class RunningPreview {
  readonly carried: PreviewCarried;
  private readonly events: PreviewEvent[] = [];
  ending?: PreviewEnd;
  handled = 0;

  constructor(
    readonly input: PreviewInput,
    now: number,
  ) {
    this.carried = input.carried ?? { lastPushAt: now };
  }

  queue(event: PreviewEvent): void {
    this.events.push(event);
  }

  hasEvents(): boolean {
    return this.events.length > 0;
  }

  next(): PreviewEvent | undefined {
    this.handled += 1;
    return this.events.shift();
  }

  get ref() {
    const { user, app, pr, repository } = this.input;
    return { user, app, pr, repository };
  }

  ttlEndsAt(): number {
    return this.carried.lastPushAt + this.input.ttlMs;
  }

  /** A new head: the TTL counts from it; a fork's waits for an approval instead of a waiting one of before. */
  pushed(head: PreviewHead, now: number): void {
    this.carried.lastPushAt = now;
    if (this.carried.awaiting && this.carried.awaiting.sha !== head.sha) this.carried.awaiting = undefined;
  }

  /** An approval's validator: only the fork's head waiting now, and not once the preview is ending. */
  checkApprovable(sha: string): void {
    if (this.ending) throw new Error(`The preview is being torn down (${this.ending}); nothing deploys.`);
    const waiting = this.carried.awaiting;
    if (!waiting) throw new Error('No head of this preview waits for an approval.');
    if (waiting.sha !== sha) throw new Error(`${sha.slice(0, 7)} does not wait for an approval; ${waiting.sha.slice(0, 7)} does.`);
  }

  deploying(): boolean {
    return this.carried.current !== undefined && !this.carried.current.ready;
  }

  end(because: PreviewEnd): void {
    this.ending ??= because;
  }

  view(): PreviewWorkflowState {
    return { ...this.carried, ending: this.ending, ttlEndsAt: new Date(this.ttlEndsAt()).toISOString() };
  }
}
