import { quick } from '../proxies';
import type { LineEntry, LineHead, LineInput } from '../types';

/** Pushes kept for ancestry by `before`/`after`; older ones are asked of GitHub. */
const CHAIN_KEPT = 500;

/**
 * Where a push stands against the newest known commit of the app: from the pushes' own
 * `before`/`after` links when they tell, else from GitHub's compare API, else from when each was
 * pushed (a forced push, or GitHub cannot tell: the later push wins).
 */
export class CommitOrder {
  /** Recent pushes' `after` → `before`, oldest first (the map's order is its age). */
  private readonly chain: Map<string, string>;

  constructor(
    private readonly input: LineInput,
    chain: Array<[string, string]>,
  ) {
    this.chain = new Map(chain);
  }

  /** Keeps the push's link to its parent (a branch's first push, all zeros, has none). */
  remember(entry: LineEntry): void {
    if (!entry.before || /^0+$/.test(entry.before)) return;
    this.chain.delete(entry.commit); // re-inserted last
    this.chain.set(entry.commit, entry.before);
    if (this.chain.size > CHAIN_KEPT) this.chain.delete(this.chain.keys().next().value!);
  }

  async place(head: LineHead | undefined, entry: LineEntry): Promise<'newer' | 'same' | 'stale'> {
    if (!head) return 'newer';
    if (head.commit === entry.commit) return 'same';
    if (this.reaches(entry.before, head.commit)) return 'newer';
    if (this.reaches(this.chain.get(head.commit), entry.commit)) return 'stale';
    const compared = await quick.compareCommits({
      user: this.input.user,
      app: this.input.app,
      repository: entry.repository,
      base: head.commit,
      head: entry.commit,
    });
    if (compared === 'ahead') return 'newer';
    if (compared === 'behind') return 'stale';
    if (compared === 'identical') return 'same';
    if (entry.pushedAt && head.pushedAt) return Date.parse(entry.pushedAt) >= Date.parse(head.pushedAt) ? 'newer' : 'stale';
    return 'newer';
  }

  /** What a new run of the line carries (continue-as-new). */
  carried(): Array<[string, string]> {
    return [...this.chain].slice(-CHAIN_KEPT);
  }

  /** Whether walking `before` links from `from` reaches `target`. */
  private reaches(from: string | undefined, target: string): boolean {
    for (let commit = from, steps = 0; commit && steps <= CHAIN_KEPT; commit = this.chain.get(commit), steps++) {
      if (commit === target) return true;
    }
    return false;
  }
}
