import { runMain } from '@passerelle/kafka-runtime';
import { composer } from './service';

runMain('composer', () => composer);
