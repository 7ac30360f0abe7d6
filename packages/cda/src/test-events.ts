// Sample events for the unit tests, read from the repository's fixtures (test/fixtures/events).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DispensationEvent, MedicationReviewEvent, VaccinationEvent } from '@passerelle/schemas';

const dir = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'events');
const read = <T>(name: string): T => JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) as T;

export const vaccinationEvent = (): VaccinationEvent => read('vaccination');
export const dispensationEvent = (): DispensationEvent => read('dispensation');
export const medicationReviewEvent = (): MedicationReviewEvent => read('medication-review');
export const interviewEvent = (): MedicationReviewEvent => read('pharmaceutical-interview');
