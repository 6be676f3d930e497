/**
 * A workflow interceptor module for test/histories/same-commands.spec.ts: bundled into the
 * workflow code of a replay, it hands every command the workflow gives Temporal (arguments
 * included) to the `commands` sink, which runs during replay too. It wraps the SDK's internal
 * activator (`pushCommand`, the one place every command goes through): interceptors see
 * activities and timers, but not search attributes, patch markers or the workflow's end.
 */
import { proxySinks, type Sinks } from '@temporalio/workflow';
import { getActivator } from '@temporalio/workflow/lib/global-attributes';

export interface CommandSinks extends Sinks {
  commands: { command(json: string): void };
}

const sinks = proxySinks<CommandSinks>();
// Payload bytes as text; the task queue differs between the two replays and says nothing of the code.
const replacer = (key: string, value: unknown) =>
  key === 'taskQueue' ? undefined : value instanceof Uint8Array ? String.fromCharCode(...value) : value;

export const interceptors = () => {
  const activator = getActivator() as ReturnType<typeof getActivator> & { captured?: boolean };
  if (!activator.captured) {
    const push = activator.pushCommand.bind(activator);
    activator.pushCommand = (command, complete) => {
      sinks.commands.command(JSON.stringify(command, replacer));
      push(command, complete);
    };
    activator.captured = true;
  }
  return {};
};
