import type { Collection, CreateIndexesOptions, Document, IndexSpecification } from 'mongodb';

/** One index of a collection: its keys, and its options (unique, sparse, …). */
export type IndexSpec = [keys: IndexSpecification, options?: CreateIndexesOptions];

/**
 * An index the process creates at start-up could not be created: start-up stops, naming the
 * collection and the cause, rather than run without an index that keeps records unique (one
 * deployment per workflow id, one release per deployment) or queries fast.
 */
export class IndexCreationError extends Error {
  constructor(
    readonly collection: string,
    keys: IndexSpecification,
    cause: unknown,
  ) {
    super(
      `The index ${JSON.stringify(keys)} of the MongoDB collection ${collection} could not be created: ${(cause as Error)?.message ?? String(cause)}. Start-up stops.`,
      { cause },
    );
    this.name = 'IndexCreationError';
  }
}

/** Creates the collection's indexes (one that exists already is left as it is); the first that fails throws an IndexCreationError. */
export async function createIndexes<T extends Document>(collection: Collection<T>, indexes: IndexSpec[]): Promise<void> {
  for (const [keys, options = {}] of indexes) {
    try {
      await collection.createIndex(keys, options);
    } catch (error) {
      throw new IndexCreationError(collection.collectionName, keys, error);
    }
  }
}
