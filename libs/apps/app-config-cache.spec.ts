import { AppRecord, appsForRepository } from './apps.repository';

const app = (fields: Partial<AppRecord>): AppRecord => ({
  _id: `admin/${fields.name}`,
  user: 'admin',
  name: 'x',
  repository: 'Octo-Org/Hello',
  retain: false,
  ci: 'auto',
  createdAt: new Date(0),
  updatedAt: new Date(0),
  ...fields,
});

/** The intake's in-memory lookup answers what AppsRepository.allByRepository answers (GitHub's name comparison). */
describe('appsForRepository', () => {
  const keyed = app({ name: 'keyed', repositoryKey: 'admin/octo-org/hello' });
  const legacyKey = app({ name: 'legacy-key', repository: 'octo-org/old.git', repositoryKey: 'admin/octo-org/old.git' });
  const unkeyed = app({ name: 'unkeyed', repository: 'Octo-Org/Ancient.git', repositoryKey: undefined });

  it('matches any case and .git / . suffix, by key or by the stored spelling of apps without one', () => {
    const records = [keyed, legacyKey, unkeyed];
    const names = (user: string, repository: string) => appsForRepository(records, user, repository).map((r) => r.name);
    expect(names('admin', 'OCTO-ORG/hello.git')).toEqual(['keyed']);
    expect(names('admin', 'octo-org/Old')).toEqual(['legacy-key']);
    expect(names('admin', 'octo-org/ancient.')).toEqual(['unkeyed']);
    expect(names('admin', 'octo-org/hello-world')).toEqual([]);
    expect(names('other', 'octo-org/hello')).toEqual([]);
  });

  it('answers every app of the repository, the first configured first', () => {
    const later = app({ name: 'later', repositoryKey: 'admin/octo-org/hello', createdAt: new Date(2) });
    const first = app({ name: 'first', repositoryKey: 'admin/octo-org/hello', createdAt: new Date(1) });
    expect(appsForRepository([later, first], 'admin', 'octo-org/hello').map((r) => r.name)).toEqual(['first', 'later']);
  });
});
