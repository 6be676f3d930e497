import { Global, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { MongoClient } from 'mongodb';
import { randomUUID } from 'node:crypto';
import { DeploymentsModule } from '../../libs/deployments';
import { IndexCreationError, MONGO_DB } from '../../libs/persistence';

/**
 * An index the process cannot create stops its start-up, with a message that names the
 * collection and the cause: here the unique index on the deployments' workflow ids, over two
 * records that share one (as a copy of the records made without it could hold).
 */
describe('start-up when an index cannot be created', () => {
  const database = `test_indexes_${randomUUID().slice(0, 8)}`;
  let mongo: MongoClient;

  beforeAll(async () => {
    mongo = await MongoClient.connect(process.env.TEST_MONGO_URL!);
  });
  afterAll(async () => {
    await mongo.db(database).dropDatabase();
    await mongo.close();
  });

  it('stops, naming the collection, the index and the cause', async () => {
    const db = mongo.db(database);
    await db.collection<{ _id: string; workflowId: string }>('deployments').insertMany([
      { _id: 'dep_a', workflowId: 'deployment/alice/alice/hello/abc' },
      { _id: 'dep_b', workflowId: 'deployment/alice/alice/hello/abc' },
    ]);
    @Global()
    @Module({ providers: [{ provide: MONGO_DB, useValue: db }], exports: [MONGO_DB] })
    class Store {}
    const temporal = {
      address: process.env.TEST_TEMPORAL_ADDRESS!,
      namespace: 'default',
      taskQueue: 'unused',
      notificationsTaskQueue: 'unused',
      uiUrl: 'http://127.0.0.1:8233',
    };
    @Module({ imports: [Store, DeploymentsModule.forWorker(temporal)] })
    class Worker {}

    const started = NestFactory.createApplicationContext(Worker, { logger: false, abortOnError: false });
    await expect(started).rejects.toThrow(IndexCreationError);
    await expect(started).rejects.toThrow(
      /^The index \{"workflowId":1\} of the MongoDB collection deployments could not be created: .*duplicate key.*\. Start-up stops\.$/,
    );
  });
});
