import { ApiError, Errors } from '../../../libs/errors';

/** `limit` (1-100, default 10 unless said) and `skip` query parameters, checked; a bad one is a 400. */
export function paging(limit: string | undefined, skip: string | undefined, defaultLimit = 10): { limit: number; skip: number } {
  return { limit: bounded('limit', limit, defaultLimit, 1, 100), skip: bounded('skip', skip, 0, 0, 1_000_000) };
}

function bounded(name: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw ApiError.of(Errors.requestInvalid, `${name} must be an integer from ${min} to ${max}.`);
  }
  return Number(raw);
}
