import { parsePackage } from './package-validation';

const valid = {
  _doc: 'dep-1',
  operation: 'DEPLOY',
  retain: true,
  app: { name: 'shop', version: '2.0.0' },
  commit: 'abc',
  repository: 'o/r',
  env: { A: '1' },
  records: [{ _doc: 'r', ref: 'o/r@abc' }],
};

describe('parsePackage', () => {
  it('accepts a package and fills record operations from the package', () => {
    expect(parsePackage(JSON.stringify(valid)).records).toEqual([{ _doc: 'r', operation: 'DEPLOY', ref: 'o/r@abc' }]);
  });

  it('accepts an ACTIVATE naming the release it activates', () => {
    expect(parsePackage({ ...valid, operation: 'ACTIVATE', activates: 'dep-0', records: [] })).toMatchObject({
      operation: 'ACTIVATE',
      activates: 'dep-0',
    });
  });

  it.each([
    [{ ...valid, _doc: '../x' }, 'package._doc'],
    [{ ...valid, app: { name: '.releases' } }, 'package.app.name'],
    [{ ...valid, operation: 'DELETE' }, 'package.operation'],
    [{ ...valid, env: { A: 1 } }, 'package.env.A'],
    [{ ...valid, records: {} }, 'package.records'],
    [{ ...valid, operation: 'ACTIVATE' }, 'package.activates is required for ACTIVATE'],
    [{ ...valid, operation: 'ACTIVATE', activates: '../other' }, 'package.activates'],
  ])('rejects %j naming the field', (pkg, field) => {
    expect(() => parsePackage(pkg)).toThrow(field);
  });
});
