import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { EventTopic, LgoEvent } from '@passerelle/schemas';
import { EVENT_SHAPES, generateEvent, Rng, type EventShape } from '../../test/generators/events';
import { familiesOfEvent } from '@passerelle/schemas';

/**
 * A realistic mix at the counter: dispensations are most events; vaccinations come in campaigns; medication reviews
 * (BPM) and pharmaceutical interviews are rarer.
 */
export const MIX: readonly { shape: EventShape; weight: number }[] = [
  { shape: EVENT_SHAPES[1], weight: 0.4 }, // dispensation
  { shape: EVENT_SHAPES[0], weight: 0.3 }, // vaccination
  { shape: EVENT_SHAPES[2], weight: 0.15 }, // medication review (BPM)
  { shape: EVENT_SHAPES[3], weight: 0.15 }, // pharmaceutical interview
];

/** Events made on demand from a seed, each authored by one of `finess` (pharmacies with certificates). */
export class GeneratedEvents {
  private readonly rng: Rng;
  private i = 0;
  constructor(
    seed: number,
    private readonly finess: readonly string[],
    private readonly limit = Infinity,
  ) {
    this.rng = new Rng(seed);
  }

  next(): LgoEvent | undefined {
    if (this.i >= this.limit) return undefined;
    let r = this.rng.next();
    const shape = MIX.find((m) => (r -= m.weight) < 0)?.shape ?? EVENT_SHAPES[1];
    const e = generateEvent(shape, this.rng, this.i);
    e.event.pharmacy.finess = this.finess[this.rng.int(0, this.finess.length - 1)] as string;
    this.i += 1;
    return e;
  }

  /** One event for this pharmacy (the warm-up: each certificate loaded once before measuring). */
  forPharmacy(finess: string): LgoEvent {
    const e = generateEvent(EVENT_SHAPES[0], this.rng, this.i++);
    e.event.pharmacy.finess = finess;
    return e;
  }
}

/** The topic of an event in the schema's JSON shape (without its `{topic, event}` envelope). */
export function topicOfEvent(event: Record<string, unknown>): EventTopic {
  const [family, ...more] = familiesOfEvent(event);
  if (family && more.length === 0) return family.topic;
  throw new Error('an NDJSON line is neither a {topic, event} envelope nor a vaccination, dispensation or medication review');
}

/** One NDJSON line: `{"topic": "lgo.….v1", "event": {…}}`, or a bare event whose type is told by its fields. */
export function parseEventLine(line: string, lineNo: number): LgoEvent {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    throw new Error(`line ${lineNo}: not JSON`);
  }
  if (typeof parsed !== 'object' || parsed === null) throw new Error(`line ${lineNo}: not a JSON object`);
  const o = parsed as Record<string, unknown>;
  if (typeof o.topic === 'string' && typeof o.event === 'object' && o.event !== null) return o as unknown as LgoEvent;
  try {
    return { topic: topicOfEvent(o), event: o } as unknown as LgoEvent;
  } catch (err) {
    throw new Error(`line ${lineNo}: ${(err as Error).message}`);
  }
}

/** Every event of an NDJSON file (blank lines skipped). */
export async function readEventFile(path: string): Promise<LgoEvent[]> {
  const out: LgoEvent[] = [];
  let n = 0;
  for await (const line of createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity })) {
    n += 1;
    if (line.trim()) out.push(parseEventLine(line, n));
  }
  return out;
}

/** A replayed event gets a fresh id, so that a file can be replayed many times into the same topics. */
export function freshCopy(e: LgoEvent): LgoEvent {
  const copy = structuredClone(e);
  copy.event.eventId = randomUUID();
  return copy;
}
