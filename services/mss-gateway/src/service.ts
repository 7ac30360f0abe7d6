import { Breaker, reportCertificates, type ServiceDefinition } from '@passerelle/kafka-runtime';
import { deliverMessage } from '@passerelle/mss';
import { pipelineService } from '@passerelle/pipeline';
import type { MssMessage } from '@passerelle/schemas';
import { loadMssGatewayConfig, type MssGatewaySettings } from './config';
import { MssCredentials } from './credentials';
import { DeliveryMemory, mssGatewayFailureStatus, mssGatewayHandler } from './handler';

/**
 * The mss-gateway, configured from the environment ({@link loadMssGatewayConfig}). It holds the pharmacies' AUTH_CLI
 * keys (the client certificate of their applicative mailboxes) and sends each record with @passerelle/mss: one SMTP
 * connection per record (closed after it), one transaction per recipient.
 */
export function mssGatewayFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  settings: MssGatewaySettings = loadMssGatewayConfig(env),
): ServiceDefinition<MssMessage> {
  const credentials = new MssCredentials({ dir: settings.authDir, trustDir: settings.trustDir, env });
  const memory = new DeliveryMemory();
  let stopReport = (): void => undefined;
  const smtp = {
    ...settings.smtp,
    connectionTimeoutMs: settings.connectionTimeoutMs,
    greetingTimeoutMs: settings.connectionTimeoutMs,
    socketTimeoutMs: settings.socketTimeoutMs,
  };
  return pipelineService<MssMessage>(
    'mss-gateway',
    ({ topics, logger, metrics }) => {
      // Days left of each pharmacy's AUTH_CLI certificate (its applicative mailboxes), by FINESS.
      stopReport = reportCertificates(metrics, { 'auth-cli': () => credentials.expiries() });
      const breaker = new Breaker({
        threshold: settings.breaker.threshold,
        openMs: settings.breaker.openMs,
        // Once per change, never per record: the destination, the count and the last code (no personal data).
        onChange: (state, detail) => {
          metrics?.breaker?.('mss', state === 'open');
          if (state === 'open') {
            logger.warn(
              { destination: 'mss', failures: detail.failures, code: detail.code, retryAt: new Date(detail.retryAt ?? 0).toISOString() },
              'MSSanté operator unavailable: breaker open, deliveries wait (partitions paused) and are probed with one record',
            );
          } else {
            logger.warn({ destination: 'mss' }, 'MSSanté operator available again: breaker closed, deliveries resume');
          }
        },
      });
      return {
        handler: mssGatewayHandler({
          topics,
          breaker,
          memory,
          deliver: async (message, recipients) => {
            const outcomes = await deliverMessage(
              message,
              {
                smtp,
                credential: credentials.credential(message.authorFiness),
                trustAnchors: credentials.trustAnchors,
                testPlatform: settings.testPlatform,
              },
              recipients ? { recipients } : {},
            );
            // Each recipient that accepted it (250): event → delivery, by destination only.
            for (const o of outcomes) if (o.outcome === 'delivered') metrics?.delivered?.('mss', message.occurredAt);
            return outcomes;
          },
        }),
        onFailure: mssGatewayFailureStatus({ topics, memory }),
      };
    },
    {
      close: () => {
        stopReport();
        credentials.close();
        memory.clear();
      },
    },
  );
}
