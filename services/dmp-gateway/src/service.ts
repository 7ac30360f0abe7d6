import { AuthCliStore, deliver, DmpHttpsTransport } from '@passerelle/dmp';
import type { ServiceDefinition } from '@passerelle/kafka-runtime';
import { pipelineService } from '@passerelle/pipeline';
import type { DmpSubmission } from '@passerelle/schemas';
import { KeyStore } from '@passerelle/signature';
import { Breaker, reportCertificates } from '@passerelle/kafka-runtime';
import { loadDmpGatewayConfig, type DmpGatewaySettings } from './config';
import { dmpGatewayFailureStatus, dmpGatewayHandler } from './handler';

/**
 * The dmp-gateway, configured from the environment ({@link loadDmpGatewayConfig}). It holds the pharmacies' AUTH_CLI
 * keys (mutual TLS) and reads their SIGN keys for the VIHF (see packages/dmp/README.md: who holds which key).
 */
export function dmpGatewayFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  settings: DmpGatewaySettings = loadDmpGatewayConfig(env),
): ServiceDefinition<DmpSubmission> {
  const authCli = new AuthCliStore({ dir: settings.authDir, trustAnchors: settings.trustDir, env });
  const signKeys = new KeyStore({ dir: settings.keyStoreDir, trustAnchors: settings.trustDir, env });
  const transport = new DmpHttpsTransport({ serverCa: settings.serverCa, timeoutMs: settings.timeoutMs });
  let stopReport = (): void => undefined;
  return pipelineService<DmpSubmission>(
    'dmp-gateway',
    ({ topics, logger, metrics }) => {
      // Days left of each pharmacy's AUTH_CLI (mutual TLS) and SIGN (VIHF) certificates, by FINESS.
      stopReport = reportCertificates(metrics, { 'auth-cli': () => authCli.expiries(), sign: () => signKeys.expiries() });
      const breaker = new Breaker({
        threshold: settings.breaker.threshold,
        openMs: settings.breaker.openMs,
        // Once per change, never per record: the destination, the count and the last code (no personal data).
        onChange: (state, detail) => {
          metrics?.breaker?.('dmp', state === 'open');
          if (state === 'open') {
            logger.warn(
              { destination: 'dmp', failures: detail.failures, code: detail.code, retryAt: new Date(detail.retryAt ?? 0).toISOString() },
              'DMP unavailable: breaker open, deliveries wait (partitions paused) and are probed with one record',
            );
          } else {
            logger.warn({ destination: 'dmp' }, 'DMP available again: breaker closed, deliveries resume');
          }
        },
      });
      return {
        handler: dmpGatewayHandler({
          topics,
          breaker,
          deliver: async (submission) => {
            const result = await deliver(submission, {
              endpoint: settings.endpoint,
              authCli,
              signKeys,
              transport,
              software: settings.software,
              vihfHash: settings.vihfHash,
            });
            // The DMP accepted it (a refusal throws): event → delivery, by destination only.
            metrics?.delivered?.('dmp', submission.occurredAt);
            return result;
          },
        }),
        onFailure: dmpGatewayFailureStatus({ topics }),
      };
    },
    {
      close: () => {
        stopReport();
        transport.close();
        signKeys.close();
      },
    },
  );
}
