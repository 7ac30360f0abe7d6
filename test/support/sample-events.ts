// Sample events for the unit tests, read from the repository's fixtures (test/fixtures/events), and the qualified
// identity of their patient as @passerelle/ins returns it (documents are built only for one).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertPatientIdentity, type QualifiedIdentity } from '@passerelle/ins';
import type { DispensationEvent, MedicationReviewEvent, Patient, VaccinationEvent } from '@passerelle/schemas';

const dir = join(__dirname, '..', 'fixtures', 'events');
const read = <T>(name: string): T => JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) as T;

export const vaccinationEvent = (): VaccinationEvent => read('vaccination');
export const dispensationEvent = (): DispensationEvent => read('dispensation');
export const medicationReviewEvent = (): MedicationReviewEvent => read('medication-review');
export const interviewEvent = (): MedicationReviewEvent => read('pharmaceutical-interview');

/** The qualified identity of a sample event's patient (the samples carry the INS test OID: a test platform). */
export const identityOf = (event: { patient: Patient }): QualifiedIdentity => assertPatientIdentity(event.patient, { testPlatform: true });
