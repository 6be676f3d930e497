import { ArgumentMetadata, ValidationPipe, ValidationPipeOptions } from '@nestjs/common';
import { ApiError, Errors } from '../../../libs/errors';

/** No body the gateway validates needs more fields (object keys and array items, all levels). */
export const MAX_BODY_FIELDS = 5_000;

/** A DTO's own cheap bounds, run on the raw body before validation (e.g. AppDto's env limits). */
interface Prechecked {
  precheck?: (body: unknown) => void;
}

/**
 * Nest's ValidationPipe, bounds first. class-transformer's walk takes time quadratic in an
 * object's keys (200 000 env variables held the gateway for 20 s), so a body is refused before
 * it: by its DTO's `precheck`, then by its number of fields.
 */
export class GatewayValidationPipe extends ValidationPipe {
  constructor(options: ValidationPipeOptions) {
    super(options);
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body') {
      (metadata.metatype as Prechecked | undefined)?.precheck?.(value);
      if (fieldsExceed(value, MAX_BODY_FIELDS))
        throw ApiError.of(Errors.requestInvalid, `The request body has more than ${MAX_BODY_FIELDS} fields.`);
    }
    return super.transform(value, metadata);
  }
}

/** Whether parsed JSON holds more than `max` object keys and array items in all; stops counting there. */
export function fieldsExceed(value: unknown, max: number): boolean {
  let count = 0;
  const pending = [value];
  while (pending.length > 0) {
    const next = pending.pop();
    if (typeof next !== 'object' || next === null) continue;
    const children = Array.isArray(next) ? next : Object.values(next);
    count += children.length;
    if (count > max) return true;
    for (const child of children) if (typeof child === 'object' && child !== null) pending.push(child);
  }
  return false;
}
