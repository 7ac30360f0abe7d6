import { parseOpensslSpeed } from './pipeline';
import { cpuTicks } from './processes';

describe('the pipeline benchmark', () => {
  it("reads openssl speed's RSA-2048 signs per second", () => {
    const output = [
      'CPUINFO: OPENSSL_ia32cap=0xfffa32034f8bffff:0x1a415f46f1bf2ffb',
      '                  sign    verify    sign/s verify/s',
      'rsa 2048 bits 0.000547s 0.000024s   1828.6  41200.0',
    ].join('\n');
    expect(parseOpensslSpeed(output)).toBe(1828.6);
    expect(() => parseOpensslSpeed('no such line')).toThrow('no "rsa 2048 bits" line');
  });

  it('adds utime and stime from /proc/<pid>/stat, whatever the command name holds', () => {
    const rest = 'R 22671 22671 6881 0 -1 4194304 124 0 0 0 731 42 0 0 20 0 1 0 225286 3133440 414';
    expect(cpuTicks(`22692 (node) ${rest}`)).toBe(773);
    expect(cpuTicks(`22692 (a (b) c) ${rest}`)).toBe(773);
  });
});
