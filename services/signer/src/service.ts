import { reportCertificates, type ServiceDefinition } from '@passerelle/kafka-runtime';
import { pipelineService } from '@passerelle/pipeline';
import type { ComposedDocument } from '@passerelle/schemas';
import { KeyStore } from '@passerelle/signature';
import { loadSignerConfig } from './config';
import { signerFailureStatus, signerHandler } from './handler';

/**
 * A quarter of the runtime's default fetch per partition: ~10 composed documents a transaction instead of ~40, each
 * partition's documents and signed outputs in hand at once. Draining a backlog of 6,000 documents
 * (scripts/bench/drain.bench.ts --stage signer, 50 pharmacies), peak RSS 203 MiB with 1 MiB, 142 MiB with 256 KiB, for
 * the same CPU per document (0.69 and 0.61 ms, load 15).
 */
export const SIGNER_FETCH_BYTES = 256 * 1024;

/** The signer, configured from the environment ({@link loadSignerConfig}: key store, trust anchors, hash). */
export function signerFromEnv(env: NodeJS.ProcessEnv = process.env): ServiceDefinition<ComposedDocument> {
  const { keyStoreDir, trustDir, hash } = loadSignerConfig(env);
  const keyStore = new KeyStore({ dir: keyStoreDir, trustAnchors: trustDir, env });
  let stopReport = (): void => undefined;
  return pipelineService<ComposedDocument>(
    'signer',
    ({ topics, metrics }) => {
      // Days left of each pharmacy's SIGN certificate, by FINESS (the alert fires under 30).
      stopReport = reportCertificates(metrics, { sign: () => keyStore.expiries() });
      return {
        handler: signerHandler({ topics, keyStore, signature: { hash } }),
        onFailure: signerFailureStatus({ topics }),
      };
    },
    {
      close: () => {
        stopReport();
        keyStore.close();
      },
      maxBytesPerPartition: SIGNER_FETCH_BYTES,
    },
  );
}
