import { NativeConnection } from '@temporalio/worker';
import { Harness } from '../support/harness';

/** Failure window 5 (docs/reliability.md#failure-windows-issue-16): a worker shutting down closes its Temporal connection. */
describe('worker shutdown', () => {
  afterAll(() => jest.restoreAllMocks());

  it('closes the NativeConnection it polled on once the worker has stopped', async () => {
    // A spy that calls through: the real connection to the dev server is opened and closed.
    const connect = jest.spyOn(NativeConnection, 'connect');
    const close = jest.spyOn(NativeConnection.prototype, 'close');
    const harness = await Harness.start({ gateway: false });
    expect(connect).toHaveBeenCalledTimes(1);
    const connection = await connect.mock.results[0].value;
    await harness.worker!.close();
    harness.worker = undefined;
    const closedTimes = close.mock.contexts.filter((closed) => closed === connection).length;
    expect(`the worker's NativeConnection was closed ${closedTimes} time(s)`).toBe(`the worker's NativeConnection was closed 1 time(s)`); // main left it open
    await harness.stop();
  });
});
