import { randomInt } from 'node:crypto';
import fc from 'fast-check';

/**
 * Seeds fast-check for the test file that calls it (at its top level): with FC_SEED when set, to replay a run, else
 * with a fresh seed; either way the seed is printed once, on one line of stderr, so that any run can be replayed.
 * (fast-check prints the seed and path of a failing property too; this one also covers runs that passed.)
 */
export function seedFastCheck(): number {
  const fromEnv = process.env.FC_SEED?.trim();
  const seed = fromEnv ? Number(fromEnv) : randomInt(2 ** 31);
  if (!Number.isSafeInteger(seed)) throw new Error(`FC_SEED must be an integer, not ${JSON.stringify(fromEnv)}`);
  fc.configureGlobal({ ...fc.readConfigureGlobal(), seed });
  process.stderr.write(`fast-check seed ${seed} (FC_SEED=${seed} to replay)\n`);
  return seed;
}
