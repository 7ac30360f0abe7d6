import type { ServiceDefinition } from '@passerelle/kafka-runtime';
import type { ComposedDocument } from '@passerelle/schemas';
import { KeyStore, type SignatureOptions } from '@passerelle/signature';
import { signerFailureStatus, signerHandler } from './handler';

/** Where the keys are: `PASSERELLE_KEYSTORE_DIR` (`<FINESS>.p12` + passphrases) and `PASSERELLE_TRUST_DIR` (CA PEMs). */
export function signerFromEnv(env: NodeJS.ProcessEnv = process.env): ServiceDefinition<ComposedDocument> {
  const dir = env.PASSERELLE_KEYSTORE_DIR;
  const trust = env.PASSERELLE_TRUST_DIR;
  if (!dir || !trust) throw new Error('PASSERELLE_KEYSTORE_DIR and PASSERELLE_TRUST_DIR are required by the signer');
  const hash = env.PASSERELLE_SIGNATURE_HASH as SignatureOptions['hash'] | undefined;
  const keyStore = new KeyStore({ dir, trustAnchors: trust, env });
  return {
    name: 'signer',
    inputTopics: ({ topics }) => [topics.composed],
    handler: ({ topics }) => signerHandler({ topics, keyStore, signature: hash ? { hash } : undefined }),
    onFailure: ({ topics }) => signerFailureStatus({ topics }),
  };
}
