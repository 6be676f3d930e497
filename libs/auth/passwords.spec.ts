import { hashSecret, verifySecret } from './passwords';

describe('passwords', () => {
  it('hashes with a salt and verifies only the right secret', async () => {
    const a = await hashSecret('s3cret');
    const b = await hashSecret('s3cret');
    expect(a).not.toEqual(b);
    expect(a).not.toContain('s3cret');
    await expect(verifySecret('s3cret', a)).resolves.toBe(true);
    await expect(verifySecret('s3cret!', a)).resolves.toBe(false);
    await expect(verifySecret('s3cret', 'garbage')).resolves.toBe(false);
  });
});
