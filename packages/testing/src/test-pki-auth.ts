import { join } from 'node:path';
import type forge from 'node-forge';
import {
  AUTH_EXTENSIONS,
  CA_EXTENSIONS,
  caSubject,
  issue,
  newKeys,
  organisationSubject,
  SIGN_EXTENSIONS,
  writePkcs12,
  type Issued,
} from './test-pki';

/**
 * Broken AUTH_CLI certificates of the test PKI, for the DMP gateway's checks before any connection: each variant is
 * an AUTH_CLI directory (`auth-broken/<variant>/<FINESS>.p12` + `.pass`) holding one certificate that must be refused.
 * The valid AUTH_CLI certificates (clientAuth, issued by the test CA, a key of their own) are written by
 * {@link createTestPki} beside the SIGN ones (`auth/`).
 */
export type AuthBrokenVariant = 'expired' | 'not-yet-valid' | 'untrusted-issuer' | 'sign-certificate';

export const AUTH_BROKEN_VARIANTS: readonly AuthBrokenVariant[] = ['expired', 'not-yet-valid', 'untrusted-issuer', 'sign-certificate'];

const DAY = 24 * 60 * 60 * 1000;

export interface AuthBrokenContext {
  dir: string;
  finess: string;
  /** The test CA that issues the organisation certificates, and the chain above the leaf */
  intermediate: Issued;
  chain: forge.pki.Certificate[];
  passphrase: string;
  now: Date;
  modulusLength: number;
}

/** Writes every broken AUTH_CLI variant for one FINESS; returns variant → directory. */
export async function writeBrokenAuthCli(ctx: AuthBrokenContext): Promise<Record<AuthBrokenVariant, string>> {
  const at = (days: number) => new Date(ctx.now.getTime() + days * DAY);
  const keys = await newKeys(6, ctx.modulusLength);
  const key = () => keys.pop() as (typeof keys)[number];
  const out = {} as Record<AuthBrokenVariant, string>;
  const write = (variant: AuthBrokenVariant, leaf: Issued, chain = ctx.chain) => {
    const variantDir = join(ctx.dir, 'auth-broken', variant);
    writePkcs12(variantDir, ctx.finess, leaf, chain, ctx.passphrase);
    out[variant] = variantDir;
  };
  const auth = (notBefore: Date, notAfter: Date, issuer: Issued = ctx.intermediate) =>
    issue({ subject: organisationSubject(ctx.finess, 'AUTH_CLI'), issuer, notBefore, notAfter, extensions: AUTH_EXTENSIONS, key: key() });

  write('expired', auth(at(-400), at(-1)));
  write('not-yet-valid', auth(at(30), at(400)));
  const rogueRoot = issue({
    subject: caSubject('AUTRE AC RACINE (non approuvee)'),
    notBefore: at(-1),
    notAfter: at(3650),
    extensions: CA_EXTENSIONS,
    key: key(),
  });
  const rogueIntermediate = issue({
    subject: caSubject('PASSERELLE TEST AC ORGANISATIONS'),
    issuer: rogueRoot,
    notBefore: at(-1),
    notAfter: at(1825),
    extensions: CA_EXTENSIONS,
    key: key(),
  });
  write('untrusted-issuer', auth(at(-1), at(400), rogueIntermediate), [rogueIntermediate.cert, rogueRoot.cert]);
  // A SIGN certificate filed as AUTH_CLI: valid and trusted, but not for TLS client authentication.
  write(
    'sign-certificate',
    issue({
      subject: organisationSubject(ctx.finess, 'SIGN'),
      issuer: ctx.intermediate,
      notBefore: at(-1),
      notAfter: at(400),
      extensions: SIGN_EXTENSIONS,
      key: key(),
    }),
  );
  return out;
}
