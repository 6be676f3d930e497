import { NewStatusEntry } from '../../libs/status';

/** A test client for the NDJSON changes feed: collects lines (and heartbeats) as they arrive. */
export class NdjsonFeed {
  readonly lines: any[] = [];
  heartbeats = 0;
  status = 0;
  ended = false;
  private readonly abort = new AbortController();
  private buffer = '';

  static async open(url: string, auth: { username: string; password: string }, headers: Record<string, string> = {}): Promise<NdjsonFeed> {
    const feed = new NdjsonFeed();
    const response = await fetch(url, {
      headers: { authorization: basic(auth), ...headers },
      signal: feed.abort.signal,
    });
    feed.status = response.status;
    if (response.body) void feed.pump(response.body);
    return feed;
  }

  /** The last resume token seen. */
  get seq(): string | undefined {
    return this.lines.filter((line) => line.seq).at(-1)?.seq;
  }

  entries(): any[] {
    return this.lines.filter((line) => !line.error);
  }

  async waitFor(predicate: (feed: NdjsonFeed) => boolean, timeoutMs = 10_000): Promise<void> {
    const started = Date.now();
    while (!predicate(this)) {
      if (Date.now() - started > timeoutMs)
        throw new Error(`feed wait timed out with ${this.lines.length} lines: ${JSON.stringify(this.lines.slice(-3))}`);
      await sleep(10);
    }
  }

  close(): void {
    this.abort.abort();
  }

  private async pump(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    try {
      for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
        this.buffer += decoder.decode(chunk, { stream: true });
        let newline: number;
        while ((newline = this.buffer.indexOf('\n')) >= 0) {
          const line = this.buffer.slice(0, newline);
          this.buffer = this.buffer.slice(newline + 1);
          if (line === '') this.heartbeats += 1;
          else this.lines.push(JSON.parse(line));
        }
      }
    } catch {
      // aborted by the test
    }
    this.ended = true;
  }
}

export function basic(auth: { username: string; password: string }): string {
  return `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let counter = 0;
/** A status entry as the workflow writes it; `_id` unique per call. */
export function entry(user: string, overrides: Partial<NewStatusEntry> = {}): NewStatusEntry {
  counter += 1;
  const deployment = overrides.deployment ?? `dep_test${process.pid}`;
  return {
    _id: `${deployment}:${String(counter).padStart(5, '0')}`,
    uuid: `uuid-${counter}`,
    user,
    app_name: 'hello-world',
    deployment,
    status: 'ok',
    step: 'fetch',
    provider: 'github',
    commit: `octo-org/hello-world/${'a'.repeat(40)}`,
    message: `step ${counter} done`,
    ts: new Date(),
    ...overrides,
  };
}
