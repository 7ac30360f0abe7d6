import { caSubject, CA_EXTENSIONS, issue, issueServerCertificate, newKeys, toPem, type KeyPair } from './test-pki';

/** A TLS server's certificate and key, as PEM text. */
export interface ServerCredential {
  /** The server's certificate */
  certPem: string;
  /** The server's private key, PKCS#8, not encrypted */
  keyPem: string;
}

/** A test CA and the TLS server certificates it signed. */
export interface ServerTls {
  /** The CA's certificate: what clients trust */
  caPem: string;
  /** One per server asked for, in the same order, each with a key of its own */
  servers: ServerCredential[];
}

/**
 * TLS server certificates signed by a test CA made for them alone, one per entry of `servers`: the names of that
 * server (DNS names and IP addresses, in its subjectAltName; the first also its subject's CN). For a local stack's
 * TLS listeners (infra/stack.sh up --secure: each Kafka node and the registry its own). Never for production.
 */
export async function createServerTls(servers: readonly (readonly string[])[], now = new Date()): Promise<ServerTls> {
  if (servers.length === 0 || servers.some((names) => names.length === 0)) {
    throw new Error('createServerTls: at least one server, each with at least one name, is needed');
  }
  const [caKey, ...serverKeys] = (await newKeys(1 + servers.length, 2048)) as [KeyPair, ...KeyPair[]];
  const day = 24 * 60 * 60 * 1000;
  const at = (days: number) => new Date(now.getTime() + days * day);
  const ca = issue({
    subject: caSubject('PASSERELLE TEST AC SERVEURS'),
    notBefore: at(-1),
    notAfter: at(3650),
    extensions: CA_EXTENSIONS,
    key: caKey,
  });
  return {
    caPem: toPem(ca.cert),
    servers: servers.map((names, i) => {
      const server = issueServerCertificate(names, ca, serverKeys[i] as KeyPair, now);
      return { certPem: toPem(server.cert), keyPem: server.keyObject.export({ type: 'pkcs8', format: 'pem' }) as string };
    }),
  };
}
