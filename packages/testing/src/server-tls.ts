import { caSubject, CA_EXTENSIONS, issue, issueServerCertificate, newKeys, toPem, type KeyPair } from './test-pki';

/** A test CA and a TLS server certificate it signed, as PEM text. */
export interface ServerTls {
  /** The CA's certificate: what clients trust */
  caPem: string;
  /** The server's certificate */
  certPem: string;
  /** The server's private key, PKCS#8, not encrypted */
  keyPem: string;
}

/**
 * A TLS server certificate for `names` (DNS names and IP addresses, in its subjectAltName), signed by a test CA made
 * for it alone: for a local broker's TLS listener (infra/stack.sh up --secure). Never for production.
 */
export async function createServerTls(names: readonly string[], now = new Date()): Promise<ServerTls> {
  if (names.length === 0) throw new Error('createServerTls: at least one server name is needed');
  const [caKey, serverKey] = (await newKeys(2, 2048)) as [KeyPair, KeyPair];
  const day = 24 * 60 * 60 * 1000;
  const at = (days: number) => new Date(now.getTime() + days * day);
  const ca = issue({
    subject: caSubject('PASSERELLE TEST AC SERVEURS'),
    notBefore: at(-1),
    notAfter: at(3650),
    extensions: CA_EXTENSIONS,
    key: caKey,
  });
  const server = issueServerCertificate(names, ca, serverKey, now);
  return {
    caPem: toPem(ca.cert),
    certPem: toPem(server.cert),
    keyPem: server.keyObject.export({ type: 'pkcs8', format: 'pem' }) as string,
  };
}
