import type { QualifiedIdentity } from '@passerelle/ins';
import type { MedicationReviewEvent } from '@passerelle/schemas';
import { hl7Date, hl7Timestamp } from './hl7-time';
import { DOCUMENT_TYPES } from './document-types';
import { clinicalDocument, versioning } from './header';
import { xdsMetadata } from './metadata';
import { renderReviewPdf, reviewTitle } from './review-pdf';
import type { BuiltDocument } from './built-document';

/**
 * Builds a Bilan médicamenteux (56445-0, bilan partagé de médication) or a CR d'entretien pharmaceutique (78601-2):
 * level-1 CDA, CI-SIS header and a `nonXMLBody` holding the PDF rendering. Asynchronous because the PDF renderer is.
 */
export async function buildMedicationReview(event: MedicationReviewEvent, identity: QualifiedIdentity): Promise<BuiltDocument> {
  const type = DOCUMENT_TYPES[event.review.kind === 'ENTRETIEN_PHARMACEUTIQUE' ? 'pharmaceutical-interview' : 'medication-review'];
  const day = hl7Date(event.review.performedAt) ?? hl7Timestamp(event.occurredAt).slice(0, 8);
  const pdf = await renderReviewPdf(event, versioning(event).version);
  const docType = { ...type, title: reviewTitle(event) };
  const xml = clinicalDocument(event, { type: docType, serviceTime: day, identity }, (w) =>
    w.el('component', {}, () =>
      w.el('nonXMLBody', {}, () =>
        w.text('text', Buffer.from(pdf).toString('base64'), { mediaType: 'application/pdf', representation: 'B64' }),
      ),
    ),
  );
  return { kind: type.kind, xml, metadata: xdsMetadata(event, identity, docType, xml, day) };
}
