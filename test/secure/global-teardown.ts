import { secureStack } from './secure-stack';

/** Stops the secure tests' stack and removes its data and secrets (PASSERELLE_SECURE_KEEP=1 keeps it running, to look at). */
export default async function globalTeardown(): Promise<void> {
  if (process.env.PASSERELLE_SECURE_KEEP === '1') return;
  await secureStack('reset');
}
