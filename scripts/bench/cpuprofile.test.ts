import { packageOf, summariseProfile } from './cpuprofile';

const node = (id: number, functionName: string, url = '', lineNumber = 0) => ({ id, callFrame: { functionName, url, lineNumber } });

describe('CPU profile summary', () => {
  it('shares the busy time (idle left out) by function and by package', () => {
    const profile = {
      nodes: [
        node(1, '(root)'),
        node(2, '(idle)'),
        node(3, '(garbage collector)'),
        node(4, 'crc32C', 'file:///w/node_modules/kafkajs/src/protocol/recordBatch/crc32C/crc32C.js', 7),
        node(5, 'sign', 'file:///w/packages/signature/dist/xades.js', 41),
        node(6, 'encode', 'file:///w/node_modules/kafkajs/src/protocol/encoder.js', 80),
      ],
      samples: [2, 3, 4, 4, 5, 6, 2],
      timeDeltas: [5_000, 1_000, 2_000, 2_000, 3_000, 2_000, 5_000],
    };
    const s = summariseProfile(profile, 2);
    expect(s.busyMs).toBe(10);
    expect(s.idleMs).toBe(10);
    expect(s.top).toEqual([
      { fn: 'crc32C', where: 'kafkajs/src/protocol/recordBatch/crc32C/crc32C.js:8', percent: 40 },
      { fn: 'sign', where: 'packages/signature/dist/xades.js:42', percent: 30 },
    ]);
    expect(s.byPackage).toEqual([
      { name: 'kafkajs', percent: 60 },
      { name: 'packages/signature', percent: 30 },
      { name: 'gc', percent: 10 },
    ]);
  });

  it('names the package of a script', () => {
    expect(packageOf('file:///a/node_modules/@kafkajs/confluent-schema-registry/dist/x.js', 'f')).toBe(
      '@kafkajs/confluent-schema-registry',
    );
    expect(packageOf('file:///a/node_modules/x/node_modules/avsc/lib/types.js', 'f')).toBe('avsc');
    expect(packageOf('node:internal/buffer', 'f')).toBe('node');
    expect(packageOf('file:///a/services/router/dist/handler.js', 'f')).toBe('services/router');
    expect(packageOf('', '(garbage collector)')).toBe('gc');
    expect(packageOf('', 'writeBuffer')).toBe('native');
  });
});
