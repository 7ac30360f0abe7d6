/**
 * A test PKI for thousands of pharmacies, for the load tool: `createTestPki` of @passerelle/signature with the
 * load-test shortcuts. Each pharmacy gets its own SIGN certificate (the signer refuses a certificate whose FINESS is
 * not the document's author), but the RSA keys come from a smaller pool (key generation costs ~0.1 s of CPU each,
 * certificates are cheap), and the PKCS#12 files use 1 PBKDF2 iteration (with the usual 2048, each file costs the
 * signer ~0.1 s of CPU to open once, which would turn the first minutes of a run into key loading). Both are said
 * in the report; signing itself is the same.
 *
 * The PKI is cached in a directory (`manifest.json` says for what) and reused while its certificates are valid.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTestPki } from '@passerelle/testing';

export interface LoadPki {
  keyStoreDir: string;
  trustDir: string;
  finess: string[];
  keys: number;
  createdMs: number;
  cached: boolean;
}

interface Manifest {
  pharmacies: number;
  keys: number;
  notAfter: number;
  finess: string[];
}

const DAY = 86_400_000;

/** `n` distinct FINESS spread over departments (01–95), valid for the signer's check. */
export function pharmacyFiness(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `${String((i % 95) + 1).padStart(2, '0')}${String(1_000_000 + i).padStart(7, '0')}`);
}

/** The PKI in `dir` for `pharmacies` pharmacies with `keys` distinct keys, made or reused. */
export async function loadPki(dir: string, pharmacies: number, keys: number): Promise<LoadPki> {
  const started = Date.now();
  const manifestPath = join(dir, 'manifest.json');
  const pkiDir = join(dir, 'keystore');
  const result = (finess: string[], cached: boolean): LoadPki => ({
    keyStoreDir: pkiDir,
    trustDir: join(pkiDir, 'trust'),
    finess,
    keys,
    createdMs: Date.now() - started,
    cached,
  });
  if (existsSync(manifestPath)) {
    const m = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest;
    if (m.pharmacies === pharmacies && m.keys === keys && m.notAfter > Date.now() + DAY) return result(m.finess, true);
  }
  mkdirSync(dir, { recursive: true });
  const finess = pharmacyFiness(pharmacies);
  await createTestPki(pkiDir, finess, { broken: false, auth: false, keyPool: keys, pkcs12Iterations: 1 });
  // createTestPki's SIGN certificates are valid for 1,095 days from now.
  const manifest: Manifest = { pharmacies, keys, notAfter: Date.now() + 1_095 * DAY, finess };
  writeFileSync(manifestPath, JSON.stringify(manifest));
  return result(finess, false);
}
