import fc from 'fast-check';
import { printable } from './printable';

describe('printable', () => {
  it('makes newlines, escape sequences, C1 controls and bidi overrides visible', () => {
    expect(printable('a\nb\r\tc\u001b[31md\u0085e\u202ef\u0000')).toBe('a\\nb\\r\\tc\\u001b[31md\\u0085e\\u202ef\\u0000');
    expect(printable('plain text / ünïcode ✓')).toBe('plain text / ünïcode ✓');
  });

  it('is one line, idempotent and bounded for any input (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), fc.integer({ min: 1, max: 400 }), (text, max) => {
        const once = printable(text, max);
        expect(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(once)).toBe(false);
        expect(once.length).toBeLessThanOrEqual(max);
        expect(printable(once, max)).toBe(once);
      }),
      { numRuns: 500 },
    );
  });
});
