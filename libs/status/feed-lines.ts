import { StatusEntry, StatusEntryView, toView } from './status-entry';

export type IncludeDocs = 'true' | 'false' | 'auto';
export type FeedFraming = 'ndjson' | 'sse';

/** One line of the changes feed: the original API's fields, the resume token, and the doc or a summary. */
export interface ChangeLine {
  id: string;
  app_name: string;
  uuid: string;
  status: StatusEntry['status'];
  provider: StatusEntry['provider'];
  commit: string;
  /** Resume token: reconnect with `since=<seq>` (or SSE Last-Event-ID) to continue after this line. */
  seq: string;
  doc?: StatusEntryView;
  summary?: string;
}

export interface FeedEnd {
  error: string;
  message: string;
  uuid: string;
  seq?: string;
}

export function changeUrl(publicUrl: string, user: string, entryId: string): string {
  return `${publicUrl.replace(/\/$/, '')}/1/status/${encodeURIComponent(user)}/changes/${encodeURIComponent(entryId).replace(/%3A/g, ':')}`;
}

/** `auto`: errors carry the full doc, everything else a one-line summary (the original API: "expanding errors and summarizing ok statuses"). */
export function changeLine(entry: StatusEntry, seq: string, include: IncludeDocs, publicUrl: string): ChangeLine {
  const line: ChangeLine = {
    id: changeUrl(publicUrl, entry.user, entry._id),
    app_name: entry.app_name,
    uuid: entry.uuid,
    status: entry.status,
    provider: entry.provider,
    commit: entry.commit,
    seq,
  };
  if (include === 'true' || (include === 'auto' && entry.status === 'error')) line.doc = toView(entry);
  else if (include === 'auto') line.summary = summarize(entry);
  return line;
}

function summarize(entry: StatusEntry): string {
  const detail = entry.error?.message ?? entry.message ?? entry.status;
  return `${entry.step}: ${detail}`.replace(/\s+/g, ' ').slice(0, 200);
}

/** NDJSON: one JSON object per line. SSE: `id:` is the resume token, so EventSource resumes by itself. */
export function frameLine(framing: FeedFraming, line: ChangeLine): string {
  const json = JSON.stringify(line);
  return framing === 'sse' ? `id: ${line.seq}\ndata: ${json}\n\n` : `${json}\n`;
}

/** The last thing a feed says before it closes: an error with the token to resume from. */
export function frameEnd(framing: FeedFraming, end: FeedEnd): string {
  const json = JSON.stringify(end);
  return framing === 'sse' ? `event: end\ndata: ${json}\n\n` : `${json}\n`;
}

export function heartbeat(framing: FeedFraming): string {
  return framing === 'sse' ? ': heartbeat\n\n' : '\n';
}
