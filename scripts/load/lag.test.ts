import { groupsToCount } from './lag';

describe('the load tool’s lag', () => {
  const stages = ['composer', 'signer', 'router', 'retrier', 'dmp-gateway', 'mss-gateway'].map((name) => ({
    groupId: `run1.passerelle-${name}`,
    topics: [`run1.${name}.in`],
  }));

  it('counts only the groups the broker knows: a stage not started (the gateways in the benchmark) has no lag', () => {
    const running = ['run1.passerelle-composer', 'run1.passerelle-signer', 'run1.passerelle-router', 'run1.passerelle-retrier'];
    const counted = groupsToCount(stages, [...running, 'other-run.passerelle-dmp-gateway', 'read-to-end-1']);
    expect(counted.map((g) => g.groupId)).toEqual(running);
    // Each group keeps its own topics.
    expect(counted[2]).toEqual({ groupId: 'run1.passerelle-router', topics: ['run1.router.in'] });
  });

  it('counts every stage when all run, and none before any has joined', () => {
    expect(
      groupsToCount(
        stages,
        stages.map((g) => g.groupId),
      ),
    ).toEqual(stages);
    expect(groupsToCount(stages, [])).toEqual([]);
  });
});
