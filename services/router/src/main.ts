import { runMain } from '@passerelle/kafka-runtime';
import { routerFromEnv } from './service';

runMain('router', routerFromEnv);
