/**
 * The status monitor: follows `documents.status` and serves, on /metrics, the documents not delivered yet and the age
 * of the oldest (`passerelle_undelivered_documents`, `passerelle_oldest_undelivered_seconds`), which no stage can
 * tell alone (see UndeliveredDocuments in packages/pipeline). One per deployment; it writes nothing to Kafka.
 *
 *   KAFKA_BROKERS=… SCHEMA_REGISTRY_URL=… PASSERELLE_METRICS_PORT=9470 npx tsx scripts/status-monitor.ts
 *
 * Configuration: the runtime's variables (the README's table); PASSERELLE_METRICS_PORT defaults to 9470 here.
 */
import { createServer } from 'node:http';
import { createKafka, createLogger, loadRuntimeConfig, prometheusMetrics } from '@passerelle/kafka-runtime';
import { followUndelivered, pipelineCodec, topicNames } from '@passerelle/pipeline';

const NAME = 'status-monitor';
const DEFAULT_PORT = 9470;

async function main(): Promise<void> {
  let config;
  try {
    config = loadRuntimeConfig(NAME, process.env);
  } catch (err) {
    console.error(`${NAME} not started: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(2);
  }
  const logger = createLogger(NAME, { level: config.logLevel });
  const metrics = prometheusMetrics(NAME);
  const server = createServer((req, res) => {
    if (req.url === '/metrics') {
      metrics.text().then(
        (t) => res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(t),
        () => res.writeHead(500).end('metrics failed\n'),
      );
      return;
    }
    res.writeHead(req.url === '/livez' || req.url === '/readyz' ? 200 : 404).end();
  });
  await new Promise<void>((resolve) => server.listen(config.metricsPort || DEFAULT_PORT, config.metricsHost, resolve));
  const follower = await followUndelivered({
    kafka: createKafka(config, logger),
    codec: pipelineCodec(config.registryUrl, config.registryCa),
    statusTopic: topicNames(config.topicPrefix).status,
    metrics,
  });
  logger.info({ port: (server.address() as { port: number }).port }, 'following the statuses');
  const stop = () => {
    void follower.stop().finally(() => {
      server.closeAllConnections();
      server.close(() => process.exit(0));
    });
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err: unknown) => {
  console.error(`${NAME}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
  process.exit(1);
});
