import { runMain } from '@passerelle/kafka-runtime';
import { composerFromEnv } from './service';

runMain('composer', composerFromEnv);
