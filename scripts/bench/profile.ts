import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';

/**
 * Runs `measured` under a V8 CPU profile written to `file` (for Chrome DevTools or speedscope) when a file is given:
 * the profile covers the measured part of a benchmark only, not its set-up (keys, fixtures, simulators).
 */
export async function profiled<T>(file: string | undefined, measured: () => Promise<T>): Promise<T> {
  if (!file) return measured();
  const session = new Session();
  const post = (method: string, params?: object) =>
    new Promise<unknown>((done, fail) => session.post(method, params ?? {}, (err, result) => (err ? fail(err) : done(result))));
  session.connect();
  await post('Profiler.enable');
  await post('Profiler.start');
  try {
    return await measured();
  } finally {
    const { profile } = (await post('Profiler.stop')) as { profile: object };
    writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
    console.log(`profile of the measured part: ${file}`);
  }
}
