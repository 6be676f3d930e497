import type { StatusRepository } from '../status';
import type { DeploymentsRepository } from '../deployments/deployments.repository';
import { StatusActivitiesService } from './status.activities';
import type { StatusWrite } from '../../workflows/types';

const write: StatusWrite = {
  seq: 1,
  attempt: 1,
  deploymentId: 'dep_1',
  user: 'admin',
  uuid: 'u',
  app_name: 'app',
  provider: 'github',
  commit: 'o/r/c',
  step: 'received',
  status: 'ok',
};

/** The intake writes the record while Temporal starts the workflow, so the first status write may come first. */
describe('StatusActivitiesService.recordStatus', () => {
  const status = { append: async () => ({ inserted: true }) } as unknown as StatusRepository;

  it('waits for a deployment record that lands a moment after the first status write', async () => {
    let recorded = false;
    setTimeout(() => (recorded = true), 50); // the intake's insert, landing late
    const moved: boolean[] = [];
    const deployments = {
      recordProgress: async () => (moved.push(recorded), recorded),
      exists: async () => recorded,
    } as unknown as DeploymentsRepository;
    await new StatusActivitiesService(status, deployments).recordStatus(write);
    expect(moved.at(-1)).toBe(true); // the record moved, after more than one try
    expect(moved.length).toBeGreaterThan(1);
  });

  it('does not wait when the record exists and an older write is refused by its seq guard', async () => {
    let tries = 0;
    const deployments = { recordProgress: async () => (tries++, false), exists: async () => true } as unknown as DeploymentsRepository;
    await new StatusActivitiesService(status, deployments).recordStatus(write);
    expect(tries).toBe(1);
  });
});
