import type { Provider, StatusState } from '../../workflows/types';

export type { Provider, StatusState };

/** One line of a user's append-only status log (SPEC 2.2). */
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
}

/** What writers hand to StatusRepository.append; the repository assigns the cursor. */
export type NewStatusEntry = Omit<StatusEntry, 'cursor'>;

/** The entry as the API shows it. */
export interface StatusEntryView extends Omit<StatusEntry, '_id' | 'ts' | 'cursor'> {
  id: string;
  ts: string;
}

export function toView(entry: StatusEntry): StatusEntryView {
  const { _id, ts, cursor: _cursor, ...rest } = entry;
  return { id: _id, ...rest, ts: ts.toISOString() };
}
