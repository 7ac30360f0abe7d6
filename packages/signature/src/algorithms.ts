import { SignatureInputError } from './errors';

/** XML namespaces of the signature document. */
export const DSIG_NS = 'http://www.w3.org/2000/09/xmldsig#';
export const XADES_111_NS = 'http://uri.etsi.org/01903/v1.1.1#';

/** The canonicalisations a signature may declare (for SignedInfo and for the document's manifest reference). */
export type Canonicalization = 'c14n' | 'c14n-with-comments' | 'exc-c14n' | 'exc-c14n-with-comments';

export const CANONICALIZATION_URI: Record<Canonicalization, string> = {
  c14n: 'http://www.w3.org/TR/2001/REC-xml-c14n-20010315',
  'c14n-with-comments': 'http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments',
  'exc-c14n': 'http://www.w3.org/2001/10/xml-exc-c14n#',
  'exc-c14n-with-comments': 'http://www.w3.org/2001/10/xml-exc-c14n#WithComments',
};

/** Digest (and RSA signature) hash. SHA-256 by default; SHA-1 for older DMP clients, as in the DMP sample. */
export type HashName = 'sha1' | 'sha256' | 'sha512';

export const DIGEST_URI: Record<HashName, string> = {
  sha1: 'http://www.w3.org/2000/09/xmldsig#sha1',
  sha256: 'http://www.w3.org/2001/04/xmlenc#sha256',
  sha512: 'http://www.w3.org/2001/04/xmlenc#sha512',
};

export const RSA_SIGNATURE_URI: Record<HashName, string> = {
  sha1: 'http://www.w3.org/2000/09/xmldsig#rsa-sha1',
  sha256: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
  sha512: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512',
};

/** Options of a signature. */
export interface SignatureOptions {
  /** Hash of every digest and of the RSA signature. Default sha256. */
  hash?: HashName;
  /** Canonicalisation of SignedInfo and of the document. Default c14n (inclusive, without comments). */
  canonicalization?: Canonicalization;
}

export interface ResolvedSignatureOptions {
  hash: HashName;
  canonicalization: Canonicalization;
}

/** Fills defaults and refuses unknown algorithm names (configuration comes from the environment, unchecked). */
export function resolveSignatureOptions(options: SignatureOptions | undefined): ResolvedSignatureOptions {
  const hash = options?.hash ?? 'sha256';
  const canonicalization = options?.canonicalization ?? 'c14n';
  if (!(hash in DIGEST_URI)) {
    throw new SignatureInputError('UNSUPPORTED_ALGORITHM', 'hash must be one of sha1, sha256, sha512');
  }
  if (!(canonicalization in CANONICALIZATION_URI)) {
    throw new SignatureInputError(
      'UNSUPPORTED_ALGORITHM',
      'canonicalization must be one of c14n, c14n-with-comments, exc-c14n, exc-c14n-with-comments',
    );
  }
  return { hash, canonicalization };
}

/** Reverse lookups, for verification of signatures made elsewhere. */
export function hashFromDigestUri(uri: string): HashName | undefined {
  return (Object.keys(DIGEST_URI) as HashName[]).find((h) => DIGEST_URI[h] === uri);
}

export function hashFromSignatureUri(uri: string): HashName | undefined {
  return (Object.keys(RSA_SIGNATURE_URI) as HashName[]).find((h) => RSA_SIGNATURE_URI[h] === uri);
}

export function canonicalizationFromUri(uri: string): Canonicalization | undefined {
  return (Object.keys(CANONICALIZATION_URI) as Canonicalization[]).find((c) => CANONICALIZATION_URI[c] === uri);
}
