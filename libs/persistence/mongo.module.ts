import { DynamicModule, Global, Inject, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { Db, MongoClient } from 'mongodb';

export const MONGO_CLIENT = Symbol('MONGO_CLIENT');
export const MONGO_DB = Symbol('MONGO_DB');
export const InjectDb = () => Inject(MONGO_DB);

export interface MongoOptions {
  url: string;
  database: string;
}

/**
 * One MongoClient per process. The driver reconnects on its own, so a MongoDB outage turns
 * into failed operations (answered with the catalogued 503/500 codes), never a crashed process.
 */
@Global()
@Module({})
export class MongoModule implements OnApplicationShutdown {
  constructor(@Inject(MONGO_CLIENT) private readonly client: MongoClient) {}

  static forRoot(options: MongoOptions): DynamicModule {
    return {
      module: MongoModule,
      providers: [
        {
          provide: MONGO_CLIENT,
          useFactory: async () => {
            const client = new MongoClient(options.url, {
              serverSelectionTimeoutMS: 5_000,
              connectTimeoutMS: 5_000,
              maxPoolSize: 50,
            });
            // Connecting lazily: start-up never hangs on MongoDB. The indexes made at start-up
            // fail within the selection timeout when it is down (start-up stops, naming the
            // collection); later, an outage turns into failed operations with a clear code.
            client.connect().catch((error: Error) => new Logger('MongoModule').warn(`MongoDB not reachable yet: ${error.message}`));
            return client;
          },
        },
        { provide: MONGO_DB, useFactory: (client: MongoClient) => client.db(options.database), inject: [MONGO_CLIENT] },
      ],
      exports: [MONGO_CLIENT, MONGO_DB],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.client.close();
  }
}

export type { Db };
