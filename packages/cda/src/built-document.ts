import type { DocumentKind, XdsDocumentMetadata } from './xds-metadata';

/** A document as the composer emits it: the CDA text and its XDS metadata. */
export interface BuiltDocument {
  kind: DocumentKind;
  /**
   * The CDA document as canonical UTF-8 bytes (C14N 1.0: what a verifier's canonicalisation of it yields), the
   * bytes `metadata.hash` and `metadata.size` describe.
   */
  xml: Buffer;
  metadata: XdsDocumentMetadata;
}
