import { parseStatus, statusUrlFor } from './status';
import { excerpt, redactUrl } from './target-error';

describe('statusUrlFor', () => {
  it.each([
    ['http://d.example/status/{{id}}', 'http://d.example/status/a%2Fb%20c'],
    ['http://d.example/status?id={{ id }}&x=1', 'http://d.example/status?id=a%2Fb%20c&x=1'],
    ['http://d.example/status/', 'http://d.example/status/a%2Fb%20c'],
    ['http://d.example/status', 'http://d.example/status/a%2Fb%20c'],
    ['http://d.example/status?token=t', 'http://d.example/status/a%2Fb%20c?token=t'],
  ])('%s', (template, expected) => {
    expect(statusUrlFor(template, 'a/b c')).toBe(expected);
  });
});

describe('parseStatus', () => {
  it('types a well-formed answer and fills protocol defaults', () => {
    expect(parseStatus({ _doc: 'x', state: 'SUCCESS', records: [{ state: 'FINISHED' }] })).toEqual({
      _doc: 'x',
      state: 'SUCCESS',
      operation: 'DEPLOY',
      retain: false,
      records: [{ _doc: '', state: 'FINISHED', operation: 'DEPLOY', ref: '', success: true, message: '' }],
    });
  });

  it.each([
    [null, 'status must be an object'],
    [{ _doc: 'x', state: 'DONE', records: [] }, 'state must be one of'],
    [{ state: 'SUCCESS', records: [] }, '_doc'],
    [{ _doc: 'x', state: 'SUCCESS' }, 'records must be an array'],
    [{ _doc: 'x', state: 'SUCCESS', records: [{ state: 'FINISHED', success: 'yes' }] }, 'records[0].success must be a boolean'],
  ])('rejects %j', (value, problem) => {
    expect(() => parseStatus(value)).toThrow(problem);
  });
});

describe('error helpers', () => {
  it('redacts credentials from URLs and secrets from excerpts', () => {
    expect(redactUrl('https://u:p@h.example/push')).toBe('https://h.example/push');
    expect(excerpt('token abc and abc', ['abc'])).toBe('token *** and ***');
  });
});
