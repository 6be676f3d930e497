import { ConfigError } from '../../libs/config/settings';
import { loadReceiverSettings } from './receiver-options';

describe('loadReceiverSettings', () => {
  it('has defaults for a local receiver', () => {
    const settings = loadReceiverSettings({});
    expect(settings).toMatchObject({ host: '127.0.0.1', port: 3100 });
    expect(settings.options.username).toBeUndefined();
  });

  it.each([
    ['RECEIVER_PORT', 'eighty'],
    ['RECEIVER_MAX_ENTRIES', '0'],
    ['RECEIVER_MAX_ARCHIVE_BYTES', '1.5'],
  ])('names the bad setting %s', (name, value) => {
    expect(() => loadReceiverSettings({ [name]: value })).toThrow(ConfigError);
    expect(() => loadReceiverSettings({ [name]: value })).toThrow(name);
  });
});
