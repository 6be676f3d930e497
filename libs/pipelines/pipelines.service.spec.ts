import { ApiError } from '../errors';
import type { AppRecord, AppsRepository } from '../apps';
import type { AppAccess } from '../auth';
import type { DeploymentWorkflowsClient } from '../deployments/deployment-workflows.client';
import type { ReleasesRepository } from '../releases/releases.repository';
import type { PipelinesRepository } from './pipelines.repository';
import { PipelinesService } from './pipelines.service';

/** The pipelines' store failing (docs/contract.md#release-pipelines): 503 `pipelines:db:failed`, the cause not shown. */
describe('PipelinesService and its store', () => {
  const principal = { user: 'alice', admin: false, via: 'password' as const };
  const down = () => Promise.reject(new Error('connection reset by 10.0.0.7'));
  const app = (name: string) => ({ user: 'alice', name, repository: 'alice/hello' }) as AppRecord;
  const service = (pipelines: Partial<PipelinesRepository>) =>
    new PipelinesService(
      pipelines as PipelinesRepository,
      { find: (_user: string, name: string) => Promise.resolve(app(name)) } as unknown as AppsRepository,
      { require: () => Promise.resolve(), readable: () => Promise.resolve('all') } as unknown as AppAccess,
      {} as ReleasesRepository,
      {} as DeploymentWorkflowsClient,
    );

  it.each([
    ['GET', (s: PipelinesService) => s.get(principal, 'alice', 'waves')],
    ['PUT', (s: PipelinesService) => s.put(principal, 'alice', 'waves', { source: 'hello', stages: [{ apps: ['hello-prod'] }] })],
    ['a run', (s: PipelinesService) => s.getRun(principal, 'alice', 'waves', 'run_1')],
  ])('%s answers pipelines:db:failed when the store fails', async (_what, call) => {
    const failing = service({ find: down, save: down, list: down, findRun: down });
    const error = await call(failing).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).code).toBe('pipelines:db:failed');
    expect((error as ApiError).message).not.toContain('10.0.0.7');
  });

  it('refuses a stage approval that is neither true nor {required, timeout}, and a bake over 24h (pipelines:bad_stages)', async () => {
    const ok = service({ save: (record) => Promise.resolve(record) });
    for (const stage of [
      { apps: ['hello-prod'], approval: 'yes' },
      { apps: ['hello-prod'], approval: { required: 0 } },
      { apps: ['hello-prod'], approval: { timeout: 'soon' } },
      { apps: ['hello-prod'], bake: '2d' },
    ]) {
      const error = await ok.put(principal, 'alice', 'waves', { source: 'hello', stages: [stage] }).catch((e: unknown) => e);
      expect([JSON.stringify(stage), (error as ApiError).code]).toEqual([JSON.stringify(stage), 'pipelines:bad_stages']);
    }
    const stored = await ok.put(principal, 'alice', 'waves', {
      source: 'hello',
      stages: [{ apps: ['hello-prod'], approval: true, bake: '10m' }],
    });
    expect(stored.stages).toEqual([{ apps: ['hello-prod'], approval: {}, bake: '10m' }]);
  });
});
