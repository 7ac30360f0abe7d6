import { runMain } from '@passerelle/kafka-runtime';
import { dmpGatewayFromEnv } from './service';

runMain('dmp-gateway', dmpGatewayFromEnv);
