import { deliveryBody, deliveryId, signature } from './delivery-body';

describe('notification deliveries', () => {
  it('signs as GitHub does (its documented example)', () => {
    expect(signature("It's a Secret to Everybody", 'Hello, World!')).toBe(
      'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17',
    );
  });

  it('derives one id per deployment, event and subscription', () => {
    const id = deliveryId('dep_1', 'deployment.succeeded', 'sub-1');
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(deliveryId('dep_1', 'deployment.succeeded', 'sub-1')).toBe(id);
    expect(deliveryId('dep_1', 'deployment.failed', 'sub-1')).not.toBe(id);
    expect(deliveryId('dep_1', 'deployment.succeeded', 'sub-2')).not.toBe(id);
  });

  it('formats a Slack message with the failure', () => {
    const notice = {
      event: 'deployment.failed' as const,
      deploymentId: 'dep_1',
      user: 'u',
      app: 'api',
      repository: 'o/r',
      commit: 'abcdef1234',
      error: { code: 'deploy:receiver:start_app', message: 'boom' },
    };
    expect(JSON.parse(deliveryBody(notice, 'id', 'slack', new Date(0)))).toEqual({
      text: 'Deployment dep_1 of *api* (o/r@abcdef1) failed: deploy:receiver:start_app (boom).',
    });
  });
});
