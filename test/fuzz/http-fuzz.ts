/** What an HTTP fuzz case got back, and the check every answer must pass. */
export interface Answer {
  status: number;
  uuid: string | null;
  text: string;
}

/**
 * A success, or the spec's error JSON `{error, message, uuid}` with a code from `codes` (never
 * `internal`) and the request's x-api-uuid.
 */
export function expectSpecAnswer(answer: Answer, statuses: number[], codes: string[]): void {
  const context = `HTTP ${answer.status} ${answer.text.slice(0, 300)}`;
  if (!statuses.includes(answer.status)) throw new Error(`unexpected status: ${context}`);
  expect(answer.uuid).toMatch(/^[0-9a-f-]{36}$/);
  if (answer.status < 300) return;
  let body: { error?: unknown; message?: unknown; uuid?: unknown };
  try {
    body = JSON.parse(answer.text);
  } catch {
    throw new Error(`error answer is not JSON: ${context}`);
  }
  if (typeof body.error !== 'string' || !codes.includes(body.error)) throw new Error(`not a spec error code: ${context}`);
  expect(typeof body.message).toBe('string');
  expect(body.uuid).toBe(answer.uuid);
}
