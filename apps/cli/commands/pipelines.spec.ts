import { UsageError } from '../errors';
import { Output } from '../output';
import { describeRun, parseStage } from './pipelines';

describe('deployctl pipelines', () => {
  it('reads a stage as app1,app2[@approval][@bake=10m]', () => {
    expect(parseStage('eu,us')).toEqual({ apps: ['eu', 'us'] });
    expect(parseStage('prod@approval@bake=10m')).toEqual({ apps: ['prod'], approval: true, bake: '10m' });
    expect(() => parseStage('@approval')).toThrow(UsageError);
    expect(() => parseStage('prod@later')).toThrow(/neither approval nor bake/);
  });

  it("shows a run's report: per stage, per app, before, what the run did, after, why", () => {
    const lines = describeRun(new Output({ write: () => true }, { write: () => true }, { NO_COLOR: '1' }), {
      id: 'run_1',
      pipeline: 'waves',
      user: 'alice',
      source: 'api',
      release: { version: 4, commit: 'abcdef123' },
      by: 'alice',
      state: 'failed',
      stage: 1,
      reason: 'Stage 2 failed.',
      stages: [
        {
          apps: [
            {
              app: 'eu',
              stage: 0,
              state: 'compensated',
              before: { version: 2, commit: '1234567aa' },
              release: 3,
              after: { version: 4, commit: '1234567aa' },
              why: 'Back on v2.',
            },
          ],
        },
        { apps: [{ app: 'prod', stage: 1, state: 'untouched', why: 'Stage 2 was not reached.' }] },
      ],
      createdAt: 't',
    });
    expect(lines[0]).toBe('Run run_1 of waves: v4 of api, failed: Stage 2 failed.');
    expect(lines.join('\n')).toMatch(/eu +compensated +v2 \(1234567\) +v3 +v4 \(1234567\) +Back on v2\./);
    expect(lines.join('\n')).toContain('untouched');
  });
});
