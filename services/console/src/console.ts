import { createKafka, loadRuntimeConfig } from '@passerelle/kafka-runtime';
import { pipelineCodec, pipelineLogger, topicNames } from '@passerelle/pipeline';
import type { Logger } from 'pino';
import { loadConsoleConfig } from './config';
import { PipelineState } from './pipeline-state';
import { startConsoleServer } from './server';

export interface RunningConsole {
  url: string;
  state: PipelineState;
  stop(): Promise<void>;
}

/** The console as configured by `env`: its view of the pipeline (caught up with documents.status) and its HTTP service. */
export async function startConsole(env: NodeJS.ProcessEnv = process.env, logger?: Logger): Promise<RunningConsole> {
  const runtime = loadRuntimeConfig('console', env);
  const settings = loadConsoleConfig(env);
  const log = logger ?? pipelineLogger('console', { level: runtime.logLevel });
  const kafka = createKafka(runtime, log);
  const state = new PipelineState(kafka, pipelineCodec(runtime.registryUrl, runtime.registryCa), topicNames(runtime.topicPrefix), {
    prefix: runtime.topicPrefix,
    tiers: runtime.tiers,
    metrics: settings.metrics,
  });
  await state.start();
  const server = await startConsoleServer(state, { host: settings.host, port: settings.port, token: settings.token, logger: log });
  log.info({ url: server.url, statusTopic: state.topics.status }, 'console listening');
  return {
    url: server.url,
    state,
    stop: async () => {
      await server.close();
      await state.stop();
    },
  };
}
