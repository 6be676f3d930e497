import { ObjectId } from 'mongodb';

/**
 * The changes feed's order and resume token: `<ms since epoch, 15 digits>_<ObjectId hex>`,
 * assigned by the writer right before the insert. Strings sort like the times they carry; the
 * ObjectId (per-process counter) breaks ties. The entry `_id` (`${deployment}:${seq}`) cannot
 * serve: it is not time-ordered. A reconnecting client sends the last cursor it saw and gets
 * every entry after it from the collection itself, so resuming never depends on oplog retention.
 */
/**
 * `since` may also be a bare time in ms (`since=0`: the whole log). A feed's resume token is
 * `<base>(~<cursor>)*`: the client has every entry up to base, and those listed above it
 * (entries go out in the change stream's order, which is not quite cursor order; FeedSession).
 */
const SINCE = /^(\d{1,15})(_[0-9a-f]{24})?((?:~\d{15}_[0-9a-f]{24})*)$/;

/** Cursors a resume token lists above its base, at most (FeedSession), and so its longest form. */
export const MAX_LISTED = 100;
export const MAX_TOKEN_LENGTH = 40 + MAX_LISTED * 41;

export function newCursor(now = Date.now()): string {
  return `${timePrefix(now)}_${new ObjectId().toHexString()}`;
}

/** The smallest cursor string at `ms`; every cursor assigned at or after `ms` sorts above it. */
export function cursorAt(ms: number): string {
  return timePrefix(Math.max(0, ms));
}

/** A client's `since` / `Last-Event-ID`, normalised so it compares with stored cursors; null when malformed. */
export function parseSince(value: string): string | null {
  const match = SINCE.exec(value);
  if (!match) return null;
  return `${match[1].padStart(15, '0')}${match[2] ?? ''}${match[3]}`;
}

/** A normalised token's parts: the base, and the cursors above it the client has. */
export function splitToken(token: string): { base: string; seen: string[] } {
  const [base, ...seen] = token.split('~');
  return { base, seen };
}

function timePrefix(ms: number): string {
  return String(Math.floor(ms)).padStart(15, '0');
}
