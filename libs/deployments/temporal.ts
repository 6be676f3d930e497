import { Logger } from '@nestjs/common';
import { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { SEARCH_ATTRIBUTES } from '../../workflows/types';

/**
 * Registers the deployment search attributes (Keyword) in the namespace if missing, so the
 * Temporal UI can filter e.g. every deployment stuck in `processing`. Idempotent.
 */
export async function registerSearchAttributes(connection: Connection, namespace: string): Promise<void> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const missing = Object.values(SEARCH_ATTRIBUTES).filter((name) => !(name in (existing.customAttributes ?? {})));
  if (missing.length === 0) return;
  try {
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(
        missing.map((name) => [name, temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD]),
      ),
    });
    new Logger('Temporal').log(`registered search attributes ${missing.join(', ')} in ${namespace}`);
  } catch (error) {
    // Another worker registered them at the same moment.
    if (!/already exists/i.test((error as Error).message)) throw error;
  }
}
