/**
 * A strict local DMP for the gateway's tests and the demo: HTTPS with a required client certificate chained to the
 * test CA (TLS 1.2, ECDHE-RSA AES-GCM as the DMP), SOAP 1.2 with MTOM/XOP, WS-Addressing, the signed VIHF, the XDS
 * metadata against the attached bytes and the DSG signature, and a registry state (known patients, stored
 * submission sets and documents). It answers ITI-41 (TD2.1), ITI-18 FindDocuments (TD3.1) and ITI-43 Retrieve
 * (TD3.2). Switches make it answer as a closed record, a patient's opposition, a SOAP fault, late, or not at all.
 *
 * Refusals are what the DMP would answer: RegistryErrors with the XDS codes of the samples, or SOAP faults with the
 * DMP's codes. Nothing it logs or answers holds a document body.
 */
import { randomUUID, X509Certificate } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import type { Element } from '@xmldom/xmldom';
import { XMLSerializer } from '@xmldom/xmldom';
import { buildMtomMessage, headerParameter, parseMultipart } from '@passerelle/dmp';
import { checkAddressing, checkSubmission, checkVihf, fault, Refused, registryError, type Refusal, type SubmittedSet } from './checks';
import { child, children, descendants, NS, parseStrict, text } from './dom';
import { serverCertificate } from './server-certificate';

export const ACTIONS = {
  iti41: 'urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-b',
  iti43: 'urn:ihe:iti:2007:RetrieveDocumentSet',
  iti18: 'urn:ihe:iti:2007:RegistryStoredQuery',
} as const;
export const PATHS = { repository: '/si-dmp-server/v2/services/repository', registry: '/si-dmp-server/v2/services/registry' } as const;
export const REPOSITORY_UNIQUE_ID = '1.2.250.1.213.4.1.1.1';
const FIND_DOCUMENTS = 'urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d';
const SUCCESS = 'urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Success';
const FAILURE = 'urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Failure';
/** The DMP's codes for a closed record and a patient's opposition (the second is not public: a stand-in). */
export const DMP_CODES = { closed: 'DMPClosed', opposition: 'DMPPatientOpposition' } as const;

export interface DmpSimulatorOptions {
  /** Directory of the test PKI's trust anchors and CA certificates: `trust/root.pem` and `ca/*.pem` */
  pkiDir: string;
  /** INS matricules the registry knows (a DMP exists for them) */
  patients?: Iterable<string>;
  /** Every patient has a DMP (demo): only `switches.unknown` are unknown */
  anyPatient?: boolean;
  port?: number;
  host?: string;
  /** Where to write each ITI-41 request's body for the external validator (one file per request) */
  recordDir?: string;
}

export interface Switches {
  /** INS matricules unknown even when `anyPatient` is set */
  unknown: Set<string>;
  /** INS matricules whose DMP is closed */
  closed: Set<string>;
  /** INS matricules whose patient opposed feeding by this structure */
  opposed: Set<string>;
  /** The next N requests get a SOAP fault (Receiver) */
  soapFaults: number;
  /** Answer this late (ms), after storing: a client that gave up re-sends */
  latencyMs: number;
  /** Every request gets HTTP 503 with an HTML page, nothing is read */
  outage: boolean;
}

export interface StoredDocument {
  entryUuid: string;
  uniqueId: string;
  patientId: string;
  mimeType: string;
  hash: string;
  size: number;
  bytes: Buffer;
  xml: string;
  submissionSetUniqueId: string;
}

export interface ReceivedRequest {
  action: string;
  messageId?: string;
  /** What the simulator answered: `Success` or the error code */
  outcome: string;
  /** File of the request body given to the external validator (ITI-41 only) */
  recordedAs?: string;
  /** The HTTP headers as received (a privacy test reads them) */
  headers: Record<string, string>;
}

export interface DmpSimulator {
  url: string;
  repositoryUrl: string;
  registryUrl: string;
  /** The server's certificate (PEM): the client's `serverCa` */
  caPem: string;
  switches: Switches;
  patients: Set<string>;
  submissionSets: Map<string, SubmittedSet>;
  documents: Map<string, StoredDocument>;
  received: ReceivedRequest[];
  /** TLS handshakes that succeeded (a client certificate was accepted): connection reuse shows here */
  readonly connections: number;
  /** TCP connections accepted, before TLS: an AUTH_CLI refused before connecting leaves it unchanged */
  readonly sockets: number;
  close(): Promise<void>;
}

function soapEnvelope(action: string, relatesTo: string | undefined, body: string): string {
  return (
    `<soap:Envelope xmlns:soap="${NS.soap12}" xmlns:wsa="${NS.wsa}"><soap:Header>` +
    `<wsa:Action>${action}</wsa:Action><wsa:MessageID>urn:uuid:${randomUUID()}</wsa:MessageID>` +
    '<wsa:To>http://www.w3.org/2005/08/addressing/anonymous</wsa:To>' +
    (relatesTo ? `<wsa:RelatesTo>${relatesTo}</wsa:RelatesTo>` : '') +
    `</soap:Header><soap:Body>${body}</soap:Body></soap:Envelope>`
  );
}

const esc = (v: string) => v.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function registryErrorList(refusal: Extract<Refusal, { kind: 'registry' }>): string {
  const errors = refusal.errors
    .map(
      (e) =>
        `<rs:RegistryError errorCode="${esc(e.code)}" codeContext="${esc(e.context)}" location="${esc(e.location)}" severity="urn:oasis:names:tc:ebxml-regrep:ErrorSeverityType:Error"/>`,
    )
    .join('');
  return `<rs:RegistryErrorList>${errors}</rs:RegistryErrorList>`;
}

function registryResponse(refusal?: Extract<Refusal, { kind: 'registry' }>): string {
  if (!refusal) return `<rs:RegistryResponse xmlns:rs="${NS.rs}" status="${SUCCESS}"/>`;
  return `<rs:RegistryResponse xmlns:rs="${NS.rs}" status="${FAILURE}">${registryErrorList(refusal)}</rs:RegistryResponse>`;
}

function soapFault(refusal: Extract<Refusal, { kind: 'fault' }>): string {
  return (
    `<soap:Fault><soap:Code><soap:Value>soap:${refusal.code}</soap:Value><soap:Subcode><soap:Value>${esc(refusal.subcode)}</soap:Value></soap:Subcode></soap:Code>` +
    `<soap:Reason><soap:Text xml:lang="fr">${esc(refusal.reason)}</soap:Text></soap:Reason></soap:Fault>`
  );
}

function readBody(req: IncomingMessage, limit = 64 * 1024 * 1024): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) req.destroy(new Error('request too large'));
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function loadAnchors(pkiDir: string): X509Certificate[] {
  const anchors: X509Certificate[] = [];
  for (const dir of [join(pkiDir, 'trust'), join(pkiDir, 'ca')]) {
    for (const name of readdirSync(dir).filter((n) => n.endsWith('.pem'))) {
      const pem = readFileSync(join(dir, name), 'utf8');
      for (const block of pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [])
        anchors.push(new X509Certificate(block));
    }
  }
  return anchors;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const matriculeOf = (cx: string) => cx.split('^')[0] ?? '';

/** Starts the simulator; `close()` stops it. */
export async function startDmpSimulator(options: DmpSimulatorOptions): Promise<DmpSimulator> {
  const server = serverCertificate();
  const anchors = loadAnchors(options.pkiDir);
  const rootPem = readFileSync(join(options.pkiDir, 'trust', 'root.pem'), 'utf8');
  const trustDir = join(options.pkiDir, 'trust');
  if (options.recordDir) mkdirSync(options.recordDir, { recursive: true });

  const switches: Switches = { unknown: new Set(), closed: new Set(), opposed: new Set(), soapFaults: 0, latencyMs: 0, outage: false };
  const patients = new Set(options.patients ?? []);
  const submissionSets = new Map<string, SubmittedSet>();
  const documents = new Map<string, StoredDocument>();
  const received: ReceivedRequest[] = [];
  let baseUrl = '';
  const known = (matricule: string) => !switches.unknown.has(matricule) && (options.anyPatient === true || patients.has(matricule));

  const send = async (
    res: ServerResponse,
    status: number,
    envelope: string,
    attachments: { id: string; type: string; bytes: Buffer }[] = [],
    action: string,
  ) => {
    if (switches.latencyMs > 0) await sleep(switches.latencyMs);
    if (res.destroyed) return;
    const message = buildMtomMessage(
      envelope,
      attachments.map((a) => ({ contentId: a.id, contentType: a.type, bytes: a.bytes })),
      action,
    );
    res.writeHead(status, { 'Content-Type': message.contentType, 'Content-Length': String(message.body.length) });
    res.end(message.body);
  };

  /** ITI-41: checks, registry state, storage. */
  const provideAndRegister = (
    header: Element,
    body: Element,
    parts: Map<string, Buffer>,
    tlsFingerprint: string,
    record: ReceivedRequest,
  ): string => {
    const vihf = checkVihf(header, { anchors, tlsFingerprint, now: new Date() });
    const submission = checkSubmission(body, { vihfPatientId: vihf.patientId, parts, trustDir });
    const matricule = matriculeOf(submission.patientId);
    if (!known(matricule)) throw registryError('XDSUnknownPatientId', 'patient inconnu du DMP', submission.uniqueId);
    if (switches.closed.has(matricule)) throw registryError(DMP_CODES.closed, 'le DMP est fermé', submission.uniqueId);
    if (switches.opposed.has(matricule))
      throw registryError(DMP_CODES.opposition, 'le patient s’est opposé à l’alimentation par cette structure', submission.uniqueId);
    if (submissionSets.has(submission.uniqueId))
      throw registryError('XDSDuplicateUniqueIdInRegistry', 'lot de soumission déjà enregistré', submission.uniqueId);
    for (const entry of submission.entries) {
      const stored = documents.get(entry.uniqueId);
      if (stored && stored.hash !== entry.hash)
        throw registryError('XDSNonIdenticalHash', 'document déjà enregistré avec une autre empreinte', entry.uniqueId);
      if (stored) throw registryError('XDSDuplicateUniqueIdInRegistry', 'document déjà enregistré', entry.uniqueId);
    }
    submissionSets.set(submission.uniqueId, submission);
    for (const entry of submission.entries) {
      documents.set(entry.uniqueId, {
        entryUuid: `urn:uuid:${randomUUID()}`,
        uniqueId: entry.uniqueId,
        patientId: submission.patientId,
        mimeType: entry.mimeType,
        hash: entry.hash,
        size: entry.size,
        bytes: entry.bytes,
        xml: entry.xml,
        submissionSetUniqueId: submission.uniqueId,
      });
    }
    record.outcome = 'Success';
    return registryResponse();
  };

  /** ITI-18 FindDocuments (LeafClass): the stored, approved entries of a patient. */
  const findDocuments = (header: Element, body: Element, tlsFingerprint: string): string => {
    const vihf = checkVihf(header, { anchors, tlsFingerprint, now: new Date() });
    const query = descendants(body, NS.query, 'AdhocQueryRequest')[0];
    const adhoc = child(query, NS.rim, 'AdhocQuery');
    if (adhoc?.getAttribute('id') !== FIND_DOCUMENTS) throw registryError('XDSUnknownStoredQuery', 'only FindDocuments is supported');
    const slot = (name: string) =>
      children(adhoc, NS.rim, 'Slot')
        .filter((s) => s.getAttribute('name') === name)
        .flatMap((s) => children(child(s, NS.rim, 'ValueList'), NS.rim, 'Value').map((v) => text(v).replace(/^\(?'|'\)?$/g, '')));
    const patientId = slot('$XDSDocumentEntryPatientId')[0] ?? '';
    if (!patientId) throw registryError('XDSStoredQueryParamNumber', '$XDSDocumentEntryPatientId is required');
    if (patientId !== vihf.patientId) throw registryError('XDSPatientIdDoesNotMatch', 'the query is about another patient than the VIHF');
    if (!known(matriculeOf(patientId))) throw registryError('XDSUnknownPatientId', 'patient inconnu du DMP');
    const statuses = slot('$XDSDocumentEntryStatus').join(',');
    const approvedOnly = statuses.includes('urn:oasis:names:tc:ebxml-regrep:StatusType:Approved');
    const found = [...documents.values()].filter((d) => d.patientId === patientId && approvedOnly);
    const objects = found
      .map((d) => {
        const doc = parseStrict(d.xml);
        const entry = doc.documentElement as Element;
        entry.setAttribute('id', d.entryUuid);
        entry.setAttribute('status', 'urn:oasis:names:tc:ebxml-regrep:StatusType:Approved');
        const repository = doc.createElementNS(NS.rim, 'Slot');
        repository.setAttribute('name', 'repositoryUniqueId');
        const list = doc.createElementNS(NS.rim, 'ValueList');
        const value = doc.createElementNS(NS.rim, 'Value');
        value.appendChild(doc.createTextNode(REPOSITORY_UNIQUE_ID));
        list.appendChild(value);
        repository.appendChild(list);
        entry.insertBefore(repository, entry.firstChild);
        for (const c of descendants(entry, NS.rim, 'Classification')) c.setAttribute('classifiedObject', d.entryUuid);
        for (const e of descendants(entry, NS.rim, 'ExternalIdentifier')) e.setAttribute('registryObject', d.entryUuid);
        return new XMLSerializer().serializeToString(entry);
      })
      .join('');
    return `<query:AdhocQueryResponse xmlns:query="${NS.query}" xmlns:rim="${NS.rim}" status="${SUCCESS}"><rim:RegistryObjectList>${objects}</rim:RegistryObjectList></query:AdhocQueryResponse>`;
  };

  /** ITI-43 Retrieve: the stored bytes, as an MTOM part. */
  const retrieve = (
    header: Element,
    body: Element,
    tlsFingerprint: string,
  ): { xml: string; attachments: { id: string; type: string; bytes: Buffer }[] } => {
    const vihf = checkVihf(header, { anchors, tlsFingerprint, now: new Date() });
    const request = child(body, NS.xdsb, 'RetrieveDocumentSetRequest');
    if (!request) throw fault('DMPInvalidRequest', 'the body is not a RetrieveDocumentSetRequest');
    const responses: string[] = [];
    const attachments: { id: string; type: string; bytes: Buffer }[] = [];
    for (const [index, documentRequest] of children(request, NS.xdsb, 'DocumentRequest').entries()) {
      const repositoryId = text(child(documentRequest, NS.xdsb, 'RepositoryUniqueId'));
      const uniqueId = text(child(documentRequest, NS.xdsb, 'DocumentUniqueId'));
      const stored = documents.get(uniqueId);
      if (repositoryId !== REPOSITORY_UNIQUE_ID) throw registryError('XDSUnknownRepositoryId', 'dépôt inconnu', repositoryId);
      if (!stored || stored.patientId !== vihf.patientId) throw registryError('XDSMissingDocument', 'document inconnu', uniqueId);
      const id = `doc${index}@dmp-simulator`;
      attachments.push({ id, type: stored.mimeType, bytes: stored.bytes });
      responses.push(
        `<xdsb:DocumentResponse><xdsb:RepositoryUniqueId>${REPOSITORY_UNIQUE_ID}</xdsb:RepositoryUniqueId><xdsb:DocumentUniqueId>${uniqueId}</xdsb:DocumentUniqueId>` +
          `<xdsb:mimeType>${esc(stored.mimeType)}</xdsb:mimeType><xdsb:Document><xop:Include xmlns:xop="${NS.xop}" href="cid:${id}"/></xdsb:Document></xdsb:DocumentResponse>`,
      );
    }
    if (responses.length === 0) throw registryError('XDSRepositoryMetadataError', 'no DocumentRequest');
    return {
      xml: `<xdsb:RetrieveDocumentSetResponse xmlns:xdsb="${NS.xdsb}">${registryResponse()}${responses.join('')}</xdsb:RetrieveDocumentSetResponse>`,
      attachments,
    };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (switches.outage) {
      req.resume();
      res.writeHead(503, { 'Content-Type': 'text/html' });
      res.end('<html><body>Service indisponible</body></html>');
      return;
    }
    const headers = Object.fromEntries(Object.entries(req.headers).map(([name, value]) => [name, String(value)]));
    const record: ReceivedRequest = { action: 'unknown', outcome: 'unread', headers };
    received.push(record);
    const tls = req.socket as TLSSocket;
    const peer = tls.getPeerCertificate();
    const tlsFingerprint = peer?.fingerprint256 ?? '';
    const contentType = req.headers['content-type'] ?? '';
    let relatesTo: string | undefined;
    let responseAction = 'http://www.w3.org/2005/08/addressing/soap/fault';
    try {
      const raw = await readBody(req);
      if (req.method !== 'POST') throw fault('DMPInvalidRequest', 'POST only');
      if (
        !/^multipart\/related/i.test(contentType) ||
        headerParameter(contentType, 'type') !== 'application/xop+xml' ||
        headerParameter(contentType, 'start-info') !== 'application/soap+xml'
      ) {
        throw fault(
          'DMPInvalidRequest',
          'the request must be MTOM: multipart/related; type="application/xop+xml"; start-info="application/soap+xml"',
        );
      }
      let multipart;
      try {
        multipart = parseMultipart(contentType, raw);
      } catch {
        throw fault('DMPInvalidRequest', 'the MTOM package cannot be read');
      }
      if (!/^application\/xop\+xml/i.test(multipart.root.headers['content-type'] ?? ''))
        throw fault('DMPInvalidRequest', 'the root part must be application/xop+xml');
      const parts = new Map<string, Buffer>();
      for (const part of multipart.parts) if (part.contentId && part !== multipart.root) parts.set(part.contentId, part.bytes);
      let envelope: Element;
      try {
        envelope = parseStrict(multipart.root.bytes.toString('utf8')).documentElement as Element;
      } catch {
        throw fault('DMPInvalidRequest', 'the SOAP envelope is not well-formed');
      }
      if (envelope.localName !== 'Envelope' || envelope.namespaceURI !== NS.soap12)
        throw fault('VersionMismatch', 'SOAP 1.2 envelope expected');
      const header = child(envelope, NS.soap12, 'Header');
      const body = child(envelope, NS.soap12, 'Body');
      if (!body || !header) throw fault('DMPInvalidRequest', 'the envelope needs a Header and a Body');
      const path = (req.url ?? '').split('?')[0];
      const expected = path === PATHS.repository ? [ACTIONS.iti41, ACTIONS.iti43] : path === PATHS.registry ? [ACTIONS.iti18] : [];
      const addressing = checkAddressing(header, expected);
      relatesTo = addressing.messageId;
      record.action = addressing.action;
      record.messageId = addressing.messageId;
      if (!addressing.to.endsWith(path ?? '')) throw fault('wsa:InvalidAddressingHeader', 'wsa:To is not this endpoint');
      if (addressing.action === ACTIONS.iti41 && options.recordDir) {
        const request = child(body, NS.xdsb, 'ProvideAndRegisterDocumentSetRequest');
        if (request) {
          // XOP put back: each xop:Include replaced by its part's bytes in base64 (the infoset XOP stands for).
          const copy = parseStrict(new XMLSerializer().serializeToString(request));
          for (const include of descendants(copy, NS.xop, 'Include')) {
            const bytes = parts.get(decodeURIComponent((include.getAttribute('href') ?? '').replace(/^cid:/, '')));
            const parent = include.parentNode;
            if (bytes && parent) parent.replaceChild(copy.createTextNode(bytes.toString('base64')), include);
          }
          record.recordedAs = join(options.recordDir, `iti41-${received.length}-${randomUUID()}.xml`);
          writeFileSync(record.recordedAs, new XMLSerializer().serializeToString(copy));
        }
      }
      if (switches.soapFaults > 0) {
        switches.soapFaults -= 1;
        throw fault('DMPServiceError', 'erreur interne simulée', 'Receiver');
      }
      if (addressing.action === ACTIONS.iti41) {
        responseAction = `${ACTIONS.iti41}Response`;
        const answer = provideAndRegister(header, body, parts, tlsFingerprint, record);
        await send(res, 200, soapEnvelope(responseAction, relatesTo, answer), [], responseAction);
      } else if (addressing.action === ACTIONS.iti18) {
        responseAction = `${ACTIONS.iti18}Response`;
        const answer = findDocuments(header, body, tlsFingerprint);
        record.outcome = 'Success';
        await send(res, 200, soapEnvelope(responseAction, relatesTo, answer), [], responseAction);
      } else {
        responseAction = `${ACTIONS.iti43}Response`;
        const answer = retrieve(header, body, tlsFingerprint);
        record.outcome = 'Success';
        await send(res, 200, soapEnvelope(responseAction, relatesTo, answer.xml), answer.attachments, responseAction);
      }
    } catch (error) {
      if (!(error instanceof Refused)) {
        record.outcome = 'internal-error';
        const envelope = soapEnvelope(
          responseAction,
          relatesTo,
          soapFault({ kind: 'fault', code: 'Receiver', subcode: 'DMPServiceError', reason: 'erreur interne' }),
        );
        await send(res, 500, envelope, [], responseAction);
        return;
      }
      const refusal = error.refusal;
      if (refusal.kind === 'fault') {
        record.outcome = refusal.subcode;
        await send(
          res,
          500,
          soapEnvelope('http://www.w3.org/2005/08/addressing/soap/fault', relatesTo, soapFault(refusal)),
          [],
          responseAction,
        );
      } else {
        record.outcome = refusal.errors.map((e) => e.code).join(',');
        const body = responseAction.startsWith(ACTIONS.iti18)
          ? `<query:AdhocQueryResponse xmlns:query="${NS.query}" xmlns:rs="${NS.rs}" status="${FAILURE}">${registryErrorList(refusal)}</query:AdhocQueryResponse>`
          : responseAction.startsWith(ACTIONS.iti43)
            ? `<xdsb:RetrieveDocumentSetResponse xmlns:xdsb="${NS.xdsb}">${registryResponse(refusal)}</xdsb:RetrieveDocumentSetResponse>`
            : registryResponse(refusal);
        await send(res, 200, soapEnvelope(responseAction, relatesTo, body), [], responseAction);
      }
    }
  };

  const https: Server = createServer(
    {
      key: server.keyPem,
      cert: server.certPem,
      ca: rootPem,
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: 'TLSv1.2',
      maxVersion: 'TLSv1.2',
      ciphers: 'ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256',
      keepAliveTimeout: 30_000,
    },
    (req, res) => {
      handle(req, res).catch(() => {
        if (!res.headersSent) res.writeHead(500).end();
      });
    },
  );
  let connections = 0;
  let sockets = 0;
  https.on('secureConnection', () => (connections += 1));
  https.on('connection', () => (sockets += 1));
  https.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve, reject) => {
    https.once('error', reject);
    https.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = https.address() as AddressInfo;
  baseUrl = `https://${options.host ?? '127.0.0.1'}:${address.port}`;
  return {
    url: baseUrl,
    repositoryUrl: `${baseUrl}${PATHS.repository}`,
    registryUrl: `${baseUrl}${PATHS.registry}`,
    caPem: server.certPem,
    switches,
    patients,
    submissionSets,
    documents,
    received,
    get connections() {
      return connections;
    },
    get sockets() {
      return sockets;
    },
    close: () =>
      new Promise<void>((resolve) => {
        https.closeAllConnections();
        https.close(() => resolve());
      }),
  };
}
