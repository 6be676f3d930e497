import { approvalRuleFor, heldByWindows } from './approval-rule';
import { DeployWindow, windowCheck } from './deploy-windows';

const WEEKDAYS_9_TO_5: DeployWindow = { days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '09:00', end: '17:00', tz: 'Europe/Berlin' };

describe('windowCheck (docs/contract.md#deploy-windows-and-freezes)', () => {
  it('opens at 09:00 Berlin summer time the Monday after the spring change (07:00Z, not 08:00Z)', () => {
    expect(windowCheck([WEEKDAYS_9_TO_5], [], new Date('2027-03-26T17:00:00Z'))).toMatchObject({
      open: false,
      opensAt: '2027-03-29T07:00:00.000Z',
    });
  });

  it('opens at 09:00 Berlin winter time the Monday after the autumn change (08:00Z)', () => {
    expect(windowCheck([WEEKDAYS_9_TO_5], [], new Date('2027-10-29T16:00:00Z'))).toMatchObject({ opensAt: '2027-11-01T08:00:00.000Z' });
  });

  it('is open inside the window and closed at its end', () => {
    expect(windowCheck([WEEKDAYS_9_TO_5], [], new Date('2027-03-29T07:00:00Z')).open).toBe(true);
    expect(windowCheck([WEEKDAYS_9_TO_5], [], new Date('2027-03-29T15:00:00Z')).open).toBe(false);
  });

  it('runs a window that ends before it starts past midnight, on the day it starts', () => {
    const saturdayNight: DeployWindow = { days: ['sat'], start: '22:00', end: '02:00', tz: 'America/New_York' };
    expect(windowCheck([saturdayNight], [], new Date('2027-01-04T00:00:00Z')).opensAt).toBe('2027-01-10T03:00:00.000Z');
    expect(windowCheck([saturdayNight], [], new Date('2027-01-10T06:30:00Z')).open).toBe(true); // Sunday 01:30 local
  });

  it('holds during a freeze even inside a window, and opens at its end when a window is open then', () => {
    const freeze = { from: '2027-01-01T00:00:00Z', to: '2027-01-15T10:00:00Z', reason: 'Holidays' };
    const check = windowCheck([WEEKDAYS_9_TO_5], [freeze], new Date('2027-01-04T10:00:00Z'));
    expect(check).toEqual({ open: false, opensAt: '2027-01-15T10:00:00.000Z', reason: 'frozen until 2027-01-15T10:00:00.000Z (Holidays)' });
  });

  it('is always open without windows or freezes', () => {
    expect(windowCheck([], [], new Date()).open).toBe(true);
  });
});

describe('approvalRuleFor and heldByWindows (docs/contract.md#approvals)', () => {
  const app = {
    user: 'alice',
    collaborators: [
      { user: 'bob', role: 'approver' as const },
      { user: 'carol', role: 'viewer' as const },
    ],
  };

  it("defaults reviewers to the app's approvers and admins, the pusher as self, and 72 hours", () => {
    expect(approvalRuleFor({ ...app, approval: {} }, { user: 'alice', provider: 'github' })).toEqual({
      required: 1,
      reviewers: ['alice', 'bob'],
      self: ['alice'],
      allowSelf: false,
      timeoutMs: 72 * 3_600_000,
    });
  });

  it('needs no approval for a rollback unless appliesTo names it; windows never hold a rollback', () => {
    const rollback = { user: 'alice', provider: 'api', cause: 'rollback', by: 'bob' };
    expect(approvalRuleFor({ ...app, approval: {} }, rollback)).toBeUndefined();
    expect(approvalRuleFor({ ...app, approval: { appliesTo: ['rollback'] } }, rollback)?.self).toEqual(['bob']);
    expect(heldByWindows({ windows: [WEEKDAYS_9_TO_5] }, rollback)).toBe(false);
    expect(heldByWindows({ windows: [WEEKDAYS_9_TO_5] }, { user: 'alice', provider: 'github' })).toBe(true);
  });
});
