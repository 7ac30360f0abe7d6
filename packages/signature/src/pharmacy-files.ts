import { readdir } from 'node:fs/promises';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { isFiness } from '@passerelle/identifiers';

/** Files read between two turns given back to the event loop (a PKCS#12 file costs a few milliseconds to open). */
const FILES_PER_TURN = 20;

/**
 * Every pharmacy of a directory of `<FINESS>.p12` files with what `endOfValidity` says of it (epoch ms), for the
 * certificate-expiry gauges; a pharmacy for which it throws or returns undefined is left out (its next use says why).
 * The files are opened a few at a time, the event loop getting a turn in between: with 2,000 pharmacies, opening them
 * all at once blocked a service for seconds (late readiness, heartbeats missed under a 6 s session timeout).
 */
export async function expiriesOfPharmacies(
  dir: string,
  endOfValidity: (finess: string) => number | undefined,
): Promise<Map<string, number>> {
  const expiries = new Map<string, number>();
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return expiries; // no directory (yet): nothing to watch
  }
  let read = 0;
  for (const name of names) {
    const finess = name.endsWith('.p12') ? name.slice(0, -4) : '';
    if (!isFiness(finess)) continue;
    if (++read % FILES_PER_TURN === 0) await yieldToEventLoop();
    try {
      const notAfter = endOfValidity(finess);
      if (notAfter !== undefined) expiries.set(finess, notAfter);
    } catch {
      // unreadable, refused or gone meanwhile: its next use says why
    }
  }
  return expiries;
}
