import type { ServiceDefinition } from '@passerelle/kafka-runtime';
import { pipelineService } from '@passerelle/pipeline';
import type { ComposedDocument } from '@passerelle/schemas';
import { KeyStore } from '@passerelle/signature';
import { loadSignerConfig } from './config';
import { signerFailureStatus, signerHandler } from './handler';

/** The signer, configured from the environment ({@link loadSignerConfig}: key store, trust anchors, hash). */
export function signerFromEnv(env: NodeJS.ProcessEnv = process.env): ServiceDefinition<ComposedDocument> {
  const { keyStoreDir, trustDir, hash } = loadSignerConfig(env);
  const keyStore = new KeyStore({ dir: keyStoreDir, trustAnchors: trustDir, env });
  return pipelineService<ComposedDocument>(
    'signer',
    ({ topics }) => ({
      handler: signerHandler({ topics, keyStore, signature: { hash } }),
      onFailure: signerFailureStatus({ topics }),
    }),
    { close: () => keyStore.close() },
  );
}
