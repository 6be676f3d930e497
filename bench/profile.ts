import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { repoRoot } from '../tools/stack';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

/** Self time per function of a .cpuprofile (idle excluded), largest first, as `ms  share  function (file:line)`. */
export function topFunctions(file: string, count = 15): string[] {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[]; startTime: number; endTime: number; samples: number[] };
  const msPerSample = (profile.endTime - profile.startTime) / 1000 / Math.max(1, profile.samples.length);
  const selfMs = new Map<string, number>();
  let busy = 0;
  for (const node of profile.nodes) {
    const { functionName, url, lineNumber } = node.callFrame;
    const ms = (node.hitCount ?? 0) * msPerSample;
    if (functionName !== '(idle)') busy += ms;
    const where = url ? `${relative(repoRoot, url.replace(/^file:\/\//, ''))}:${lineNumber + 1}` : '';
    const key = `${functionName || '(anonymous)'}${where ? ` (${where})` : ''}`;
    selfMs.set(key, (selfMs.get(key) ?? 0) + ms);
  }
  selfMs.delete('(idle)');
  return [...selfMs.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, ms]) => `${ms.toFixed(0).padStart(7)} ms ${((100 * ms) / busy).toFixed(1).padStart(5)}% of busy  ${name}`);
}
