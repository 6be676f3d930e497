import { ApiFailure } from './errors';

export type Query = Record<string, string | number | undefined>;

interface RequestOptions {
  query?: Query;
  body?: unknown;
  signal?: AbortSignal;
}

/** One line of the changes feed: an entry (with `seq`), or the closing line (`error`, maybe `seq`). */
export interface FeedLine {
  seq?: string;
  error?: string;
  message?: string;
  uuid?: string;
  [field: string]: unknown;
}

/** The only code that speaks HTTP: Basic auth, JSON in and out, API errors as ApiFailure. */
export class ApiClient {
  readonly baseUrl: string;

  constructor(
    baseUrl: string,
    private readonly user: string,
    private readonly secret: string,
  ) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
  }

  get<T>(path: string, query?: Query): Promise<T> {
    return this.request<T>('GET', path, { query });
  }

  post<T>(path: string, body?: unknown, query?: Query): Promise<T> {
    return this.request<T>('POST', path, { body, query });
  }

  put<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('PUT', path, { body });
  }

  patch<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('PATCH', path, { body });
  }

  delete(path: string): Promise<void> {
    return this.request<void>('DELETE', path, {});
  }

  async request<T>(method: string, path: string, options: RequestOptions): Promise<T> {
    const response = await this.send(method, path, options, 'application/json');
    const text = await response.text();
    if (!response.ok) throw failure(response, text);
    return (text === '' ? undefined : JSON.parse(text)) as T;
  }

  /**
   * The NDJSON changes feed as lines until the server closes it (heartbeats, blank lines, are
   * dropped). Throws ApiFailure when it does not open. `owner`: another user's feed, which the
   * gateway filters to the apps of theirs shared with the signed-in user.
   */
  async *changes(query: Query, signal: AbortSignal, owner = this.user): AsyncGenerator<FeedLine> {
    const response = await this.send('GET', `/1/status/${seg(owner)}/changes`, { query, signal }, 'application/x-ndjson');
    if (!response.ok || !response.body) throw failure(response, await response.text());
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let newline: number;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, newline).trim();
        buffer = buffer.slice(newline + 1);
        if (line !== '') yield JSON.parse(line) as FeedLine;
      }
    }
  }

  private async send(method: string, path: string, options: RequestOptions, accept: string): Promise<Response> {
    const url = new URL(`${this.baseUrl}${path}`);
    for (const [key, value] of Object.entries(options.query ?? {})) if (value !== undefined) url.searchParams.set(key, String(value));
    const headers: Record<string, string> = {
      accept,
      authorization: `Basic ${Buffer.from(`${this.user}:${this.secret}`).toString('base64')}`,
    };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    try {
      return await fetch(url, {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: options.signal,
      });
    } catch (error) {
      if (options.signal?.aborted) throw error;
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new ApiFailure(
        'cli:unreachable',
        `Could not reach ${this.baseUrl}: ${cause?.code ?? cause?.message ?? (error as Error).message}.`,
      );
    }
  }
}

/** Path segments are user input: never let them add segments or a query. */
export function seg(value: string): string {
  return encodeURIComponent(value);
}

/** The gateway's `{error, message, uuid}`, or whatever a proxy in between answered. */
function failure(response: Response, text: string): ApiFailure {
  const uuid = response.headers.get('x-api-uuid') ?? undefined;
  try {
    const body = JSON.parse(text) as { error?: unknown; message?: unknown; uuid?: unknown };
    if (typeof body.error === 'string') {
      return new ApiFailure(
        body.error,
        typeof body.message === 'string' ? body.message : '',
        typeof body.uuid === 'string' ? body.uuid : uuid,
        response.status,
      );
    }
  } catch {
    // not JSON: fall through
  }
  return new ApiFailure(
    `http:${response.status}`,
    `${response.statusText || 'HTTP error'}${text ? `: ${text.slice(0, 200)}` : ''}`,
    uuid,
    response.status,
  );
}
