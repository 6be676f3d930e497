import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { LineDecision, LineEvent, LineState } from '../types';

/** Sent to the line (signal-with-start from an activity): a deployment arrives, is ready, or leaves. */
export const lineEventSignal = defineSignal<[LineEvent]>('lineEvent');
/** Sent to a deployment: go to the target, wait behind another one, or end without uploading. */
export const lineDecisionSignal = defineSignal<[LineDecision]>('lineDecision');
export const lineQuery = defineQuery<LineState>('line');
