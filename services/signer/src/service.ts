import { CERTIFICATE_REPORT_MS, reportCertificates, type ServiceDefinition } from '@passerelle/kafka-runtime';
import { pipelineService } from '@passerelle/pipeline';
import type { ComposedDocument } from '@passerelle/schemas';
import { KeyStore } from '@passerelle/signature';
import { loadSignerConfig } from './config';
import { signerFailureStatus, signerHandler } from './handler';

/** The signer, configured from the environment ({@link loadSignerConfig}: key store, trust anchors, hash). */
export function signerFromEnv(env: NodeJS.ProcessEnv = process.env): ServiceDefinition<ComposedDocument> {
  const { keyStoreDir, trustDir, hash } = loadSignerConfig(env);
  const keyStore = new KeyStore({ dir: keyStoreDir, trustAnchors: trustDir, env });
  let stopReport = (): void => undefined;
  return pipelineService<ComposedDocument>(
    'signer',
    ({ topics, metrics }) => {
      // Days left of each pharmacy's SIGN certificate, by FINESS (the alert fires under 30). The first report opens
      // every pharmacy's file (2,000: ~1 s of CPU): 3 s after start, once the stage has joined its group, not while
      // it joins (readiness was 1.1-1.8 s with it, on a loaded 2-core machine).
      stopReport = reportCertificates(metrics, { sign: () => keyStore.expiries() }, CERTIFICATE_REPORT_MS, 3_000);
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
    },
  );
}
