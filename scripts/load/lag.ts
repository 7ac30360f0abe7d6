import type { Admin } from 'kafkajs';

/**
 * A consumer group's lag on `topics`: records not yet consumed, summed over partitions (the end offset less the
 * group's committed offset, or less the log start when the group has committed nothing there).
 */
export async function groupLag(admin: Admin, groupId: string, topics: string[]): Promise<number> {
  const committed = await admin.fetchOffsets({ groupId, topics });
  let sum = 0;
  for (const topic of topics) {
    const ends = await admin.fetchTopicOffsets(topic);
    const c = committed.find((x) => x.topic === topic);
    for (const end of ends) {
      const done = Number(c?.partitions.find((p) => p.partition === end.partition)?.offset ?? -1);
      sum += Math.max(0, Number(end.high) - Math.max(done, Number(end.low)));
    }
  }
  return sum;
}

/** A stage's consumer group and the topics it reads. */
export interface StageGroup {
  groupId: string;
  topics: string[];
}

/**
 * The groups whose lag counts: those the broker knows (`existing`, from listGroups). A stage that is not running
 * (e.g. the gateways when the benchmark starts only composer, signer, router and retrier) has no group, and every
 * record of its inputs would otherwise count as lag: the largest lag would be that backlog, not the pipeline's.
 */
export function groupsToCount(groups: readonly StageGroup[], existing: Iterable<string>): StageGroup[] {
  const known = new Set(existing);
  return groups.filter((g) => known.has(g.groupId));
}
