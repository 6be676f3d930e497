import { parse } from 'yaml';

/**
 * Nodejitsu's original rule: a repository whose .travis.yml has at least one webhook notification is
 * gated on Travis (the deployment waits for Travis to call us). Pure, so it is unit-tested.
 */
export function hasTravisWebhook(travisYml: string): boolean {
  let config: unknown;
  try {
    config = parse(travisYml);
  } catch {
    return false; // Travis would not run a broken file either
  }
  const webhooks = (config as { notifications?: { webhooks?: unknown } } | null)?.notifications?.webhooks;
  if (typeof webhooks === 'string') return webhooks.trim() !== '';
  if (Array.isArray(webhooks)) return webhooks.length > 0;
  if (webhooks && typeof webhooks === 'object') {
    const urls = (webhooks as { urls?: unknown }).urls;
    return typeof urls === 'string' ? urls.trim() !== '' : Array.isArray(urls) && urls.length > 0;
  }
  return false;
}
