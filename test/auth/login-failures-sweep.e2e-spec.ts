import { LoginAttemptsRepository } from '../../libs/auth';
import { Harness } from '../support/harness';

/** Failed sign-ins are counted in MongoDB per 10 s bucket; expired buckets go in the write path (no TTL monitor in mongo-java-server). */
describe('failed sign-in counts', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await Harness.start({ worker: false });
  });
  afterAll(() => harness.stop());

  it('removes the counts of windows past in the write path', async () => {
    const attempts = harness.gateway!.get(LoginAttemptsRepository);
    const failures = harness.db.collection('login_failures');
    const now = Date.now();
    await attempts.record(['user:old'], now - 5 * 60_000);
    expect(await failures.countDocuments({ key: 'user:old' })).toBe(1);
    await attempts.record(['user:new'], now);
    expect(await failures.countDocuments({ key: 'user:old' })).toBe(0);
    expect(await failures.countDocuments({ key: 'user:new' })).toBe(1);
  });
});
