import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import type { StatusWrite } from '../../workflows/types';
import { Activity, activitiesOf } from './activity';
import { ACTIVITY_PROVIDERS } from './pipeline.module';
import { WorkerActivities } from './worker-activities';

/** The methods of every `…ActivitiesApi` interface in workflows/activities.ts: what the workflows call. */
function declaredActivities(): string[] {
  const file = join(__dirname, '..', '..', 'workflows', 'activities.ts');
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022);
  return source.statements
    .filter((node): node is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(node) && node.name.text.endsWith('ActivitiesApi'))
    .flatMap((api) => api.members.flatMap((member) => (member.name && ts.isIdentifier(member.name) ? [member.name.text] : [])));
}

const marked = (queue?: 'notifications') =>
  ACTIVITY_PROVIDERS.flatMap((provider) =>
    [...activitiesOf(provider)].filter(([, options]) => !queue || options.notificationsQueue).map(([name]) => name),
  ).sort();

describe('the activities the worker registers', () => {
  it('are every activity the workflows declare, each marked on exactly one provider', () => {
    const declared = declaredActivities();
    expect(declared.length).toBeGreaterThan(15);
    expect(marked()).toEqual([...declared].sort());
  });

  it("on the notifications' queue: the deliveries alone", () => {
    expect(marked('notifications')).toEqual(['deliverNotification', 'deliveryGaveUp']);
  });

  it('are bound to their provider, on both queues', async () => {
    class Status {
      constructor(private readonly written: string[]) {}
      @Activity()
      async recordStatus(_write: StatusWrite): Promise<void> {
        this.written.push('recorded');
      }
    }
    class Deliveries {
      @Activity({ notificationsQueue: true })
      async deliveryGaveUp(_input: { deliveryId: string; reason: string }): Promise<void> {}
    }
    const written: string[] = [];
    const activities = new WorkerActivities([new Status(written), new Deliveries()]);
    expect(Object.keys(activities.forDeployments()).sort()).toEqual(['deliveryGaveUp', 'recordStatus']);
    expect(Object.keys(activities.forNotifications())).toEqual(['deliveryGaveUp']);
    // eslint-disable-next-line @typescript-eslint/unbound-method -- detached, as the worker calls it
    const { recordStatus } = activities.forDeployments();
    await recordStatus({} as StatusWrite);
    expect(written).toEqual(['recorded']);
    expect(() => new WorkerActivities([new Status([]), new Status([])])).toThrow('Two providers implement the activity recordStatus');
  });
});
