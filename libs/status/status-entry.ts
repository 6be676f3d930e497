import type { Provider, StatusState } from '../../workflows/types';

export type { Provider, StatusState };

/** One line of a user's append-only status log (docs/contract.md#the-status-log). */
export interface StatusEntry {
  _id: string; // `${deployment}:${seq}` — deterministic, so a retried write is stored once
  uuid: string; // x-api-uuid of the request that created the deployment
  user: string;
  app_name: string;
  deployment: string;
  status: StatusState;
  step: string;
  provider: Provider;
  commit: string; // `<owner>/<repo>/<sha>`
  message?: string;
  error?: { code: string; message: string };
  ts: Date;
  /** The feed's order and resume token, set by StatusRepository.append (see changes-cursor.ts). */
  cursor: string;
  /** Only on an entry written after the log's end because its number was taken (StatusRepository.appendRenumbered): the number the workflow gave it. */
  workflow_seq?: number;
}

/** Zero-padded, so the ids of one deployment sort in write order (a tie-breaker of the status query). */
export function statusEntryId(deployment: string, seq: number): string {
  return `${deployment}:${String(seq).padStart(6, '0')}`;
}

export function seqOfEntryId(id: string): number {
  return Number(id.slice(id.lastIndexOf(':') + 1));
}

/** What writers hand to StatusRepository.append; the repository assigns the cursor. */
export type NewStatusEntry = Omit<StatusEntry, 'cursor'>;

/** The entry as the API shows it. */
export interface StatusEntryView extends Omit<StatusEntry, '_id' | 'ts' | 'cursor'> {
  id: string;
  ts: string;
}

export function toView(entry: StatusEntry): StatusEntryView {
  const { _id, ts, cursor: _cursor, workflow_seq: _workflowSeq, ...rest } = entry;
  return { id: _id, ...rest, ts: ts.toISOString() };
}
