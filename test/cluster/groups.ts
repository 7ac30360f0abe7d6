/**
 * Who holds which partitions in a consumer group, asked of the group coordinator (the scale-out tests: how the
 * partitions are shared between two processes of a service, and when the survivor of a kill holds them all).
 */
import type { Kafka } from 'kafkajs';

export interface GroupMember {
  memberId: string;
  /** `<topic>:<partition>`, the partitions assigned to the member */
  partitions: string[];
}

/** The members of each group and their partitions, by group id. */
export async function groupMembers(kafka: Kafka, groupIds: string[]): Promise<Map<string, GroupMember[]>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { groups } = await admin.describeGroups(groupIds);
    return new Map(
      groups.map((g) => [g.groupId, g.members.map((m) => ({ memberId: m.memberId, partitions: assigned(m.memberAssignment) }))]),
    );
  } finally {
    await admin.disconnect();
  }
}

/** ConsumerProtocolAssignment v0: version int16, then [topic string, [partition int32]] (user data after, ignored). */
function assigned(assignment: Buffer): string[] {
  if (assignment.length < 6) return [];
  const partitions: string[] = [];
  let at = 2;
  const topics = assignment.readInt32BE(at);
  at += 4;
  for (let t = 0; t < topics; t++) {
    const length = assignment.readInt16BE(at);
    const topic = assignment.toString('utf8', at + 2, at + 2 + length);
    at += 2 + length;
    const count = assignment.readInt32BE(at);
    at += 4;
    for (let p = 0; p < count; p++, at += 4) partitions.push(`${topic}:${assignment.readInt32BE(at)}`);
  }
  return partitions;
}
