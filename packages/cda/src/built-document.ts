import type { DocumentKind, XdsDocumentMetadata } from './xds-metadata';

/** A document as the composer emits it: the CDA text and its XDS metadata. */
export interface BuiltDocument {
  kind: DocumentKind;
  /** The CDA text, UTF-8 */
  xml: string;
  metadata: XdsDocumentMetadata;
}
