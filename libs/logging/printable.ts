/**
 * Text that came from outside (archive entry names, multipart field names, error messages of
 * parsers fed outside bytes) made safe for one log line or a terminal: control characters
 * (C0, DEL, C1), line and paragraph separators and bidirectional overrides become visible
 * escapes, so a name cannot forge a log line or recolour a terminal. Idempotent: its output
 * has nothing left to escape, so text escaped once can be passed through again.
 */
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

export function printable(text: string, maxLength = 2048): string {
  const escaped = text.replace(UNPRINTABLE, (c) => NAMED[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return escaped.length > maxLength ? `${escaped.slice(0, maxLength - 1)}…` : escaped;
}
