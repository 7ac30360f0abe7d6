import { execFileSync } from 'node:child_process';

/**
 * The reference every benchmark prints beside its figures: `openssl speed -seconds <s> rsa2048`, RSA-2048 signs per
 * second on one core, measured in the same run (so that figures of a loaded machine and a quiet one compare).
 */
export function opensslSignsPerSecond(seconds = 3): number {
  const output = execFileSync('openssl', ['speed', '-seconds', String(seconds), 'rsa2048'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  // "rsa 2048 bits 0.000791s 0.000022s   1264.3  45062.8": the third number is sign/s.
  const match = /^rsa\s+2048 bits\s+\S+\s+\S+\s+([\d.]+)/m.exec(output);
  if (!match?.[1]) throw new Error('cannot read sign/s from openssl speed');
  return Number(match[1]);
}
