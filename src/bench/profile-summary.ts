/**
 * The hot spots of a V8 CPU profile (`.cpuprofile`, written by `node --cpu-prof`): functions by self time,
 * so `pegasus bench --profile` can print where each server spent its CPU without opening DevTools.
 */
import { readFile } from 'node:fs/promises';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface HotSpot {
  /** `function file:line`, or V8's own names: `(garbage collector)`, `(program)`. */
  readonly name: string;
  /** Share of the busy (non-idle) time, in percent. */
  readonly selfPercent: number;
}

/** V8's name for the samples taken while the thread waited for work. */
const IDLE = '(idle)';

export function hotSpots(profile: CpuProfile, count: number): { busyMs: number; spots: HotSpot[] } {
  const timeOfNode = new Map<number, number>();
  profile.samples.forEach((nodeId, i) => timeOfNode.set(nodeId, (timeOfNode.get(nodeId) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const selfByName = new Map<string, number>();
  let busyUs = 0;
  for (const node of profile.nodes) {
    const us = timeOfNode.get(node.id) ?? 0;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === IDLE || us === 0) continue;
    // Line numbers in a profile are 0-based.
    const where = url === '' ? '' : ` ${url.replace(/^file:\/\//, '').split('/').slice(-2).join('/')}:${lineNumber + 1}`;
    const name = `${functionName === '' ? '(anonymous)' : functionName}${where}`;
    selfByName.set(name, (selfByName.get(name) ?? 0) + us);
    busyUs += us;
  }
  const spots = [...selfByName]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, us]) => ({ name, selfPercent: busyUs === 0 ? 0 : Math.round((1000 * us) / busyUs) / 10 }));
  return { busyMs: Math.round(busyUs / 1000), spots };
}

export async function readHotSpots(path: string, count: number): Promise<{ busyMs: number; spots: HotSpot[] }> {
  return hotSpots(JSON.parse(await readFile(path, 'utf8')) as CpuProfile, count);
}
