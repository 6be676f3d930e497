import { randomBytes } from 'node:crypto';
import { ApiError } from '../errors';
import { SecretBox } from '../secrets';
import { AppRecord, AppsRepository } from './apps.repository';
import { AppsService } from './apps.service';

describe('AppsService compare-and-set writes', () => {
  const box = new SecretBox(randomBytes(32));
  const stored: AppRecord = {
    _id: 'bob/app',
    user: 'bob',
    name: 'app',
    repository: 'octo/app',
    sealedEnv: box.seal('{}'),
    retain: false,
    ci: 'auto',
    createdAt: new Date(),
    updatedAt: new Date(),
    revision: 4,
  };

  it('writes with the revision it read, and the next one', async () => {
    const save = jest.fn().mockResolvedValue(true);
    const service = new AppsService({ find: async () => stored, save } as unknown as AppsRepository, box);
    await service.patchEnv('bob', 'app', { set: { A: '1' } }, 'uuid-1');
    expect(save).toHaveBeenCalledWith(expect.objectContaining({ revision: 5, uuid: 'uuid-1' }), 4);
  });

  it('reads again after a conflict, and gives up with 409 apps:conflict when others keep writing first', async () => {
    const find = jest.fn().mockResolvedValue(stored);
    const save = jest.fn().mockResolvedValue(false);
    const service = new AppsService({ find, save } as unknown as AppsRepository, box);
    const error = await service.patchEnv('bob', 'app', { set: { A: '1' } }, 'uuid-2').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({
      code: 'apps:conflict',
      status: 409,
      message: expect.stringMatching(/bob\/app was being changed by other requests .* retry/),
    });
    expect(find.mock.calls.length).toBe(save.mock.calls.length);
    expect(save.mock.calls.length).toBeGreaterThan(2);
  });
});
