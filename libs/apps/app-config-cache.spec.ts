import { AppRecord, appForRepository } from './apps.repository';

const app = (fields: Partial<AppRecord>): AppRecord => ({ _id: `admin/${fields.name}`, user: 'admin', name: 'x', repository: 'Octo-Org/Hello', retain: false, ci: 'auto', createdAt: new Date(0), updatedAt: new Date(0), ...fields });

/** The intake's in-memory lookup answers what AppsRepository.findByRepository answers (GitHub's name comparison). */
describe('appForRepository', () => {
  const keyed = app({ name: 'keyed', repositoryKey: 'admin/octo-org/hello' });
  const legacyKey = app({ name: 'legacy-key', repository: 'octo-org/old.git', repositoryKey: 'admin/octo-org/old.git' });
  const unkeyed = app({ name: 'unkeyed', repository: 'Octo-Org/Ancient.git', repositoryKey: undefined });

  it('matches any case and .git / . suffix, by key or by the stored spelling of apps without one', () => {
    const records = [keyed, legacyKey, unkeyed];
    expect(appForRepository(records, 'admin', 'OCTO-ORG/hello.git')?.name).toBe('keyed');
    expect(appForRepository(records, 'admin', 'octo-org/Old')?.name).toBe('legacy-key');
    expect(appForRepository(records, 'admin', 'octo-org/ancient.')?.name).toBe('unkeyed');
    expect(appForRepository(records, 'admin', 'octo-org/hello-world')).toBeNull();
    expect(appForRepository(records, 'other', 'octo-org/hello')).toBeNull();
  });
});
