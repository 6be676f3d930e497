import { hasTravisWebhook } from './travis-config';

describe('hasTravisWebhook', () => {
  it("finds webhook notifications in the seed's form and the short forms", () => {
    expect(
      hasTravisWebhook('notifications:\n  webhooks:\n    urls:\n      - http://webhooks.example/1/deploy\n    on_success: always\n'),
    ).toBe(true);
    expect(hasTravisWebhook('notifications:\n  webhooks: http://webhooks.example/1/deploy\n')).toBe(true);
    expect(hasTravisWebhook('notifications:\n  webhooks:\n    - http://a\n')).toBe(true);
  });

  it('is false without webhooks, for email-only notifications and for broken YAML', () => {
    expect(hasTravisWebhook('language: node_js\n')).toBe(false);
    expect(hasTravisWebhook('notifications:\n  email: false\n')).toBe(false);
    expect(hasTravisWebhook('notifications: [\n')).toBe(false);
    expect(hasTravisWebhook('')).toBe(false);
  });
});
