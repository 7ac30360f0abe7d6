/**
 * Reading back from the DMP for the tests: ITI-18 FindDocuments (TD3.1) and ITI-43 Retrieve Document Set (TD3.2),
 * with the same mutual TLS and a VIHF about the same patient, as a consulting professional's software would.
 */
import { randomUUID } from 'node:crypto';
import { XMLParser } from 'fast-xml-parser';
import {
  buildMtomMessage,
  parseMultipart,
  signVihf,
  type ClientCredential,
  type DmpHttpsTransport,
  type VihfInput,
  type VihfSigningKey,
} from '@passerelle/dmp';
import { ACTIONS } from './simulator';

const NS = {
  soap: 'http://www.w3.org/2003/05/soap-envelope',
  wsa: 'http://www.w3.org/2005/08/addressing',
  wsse: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd',
};

export interface ReadBackContext {
  transport: DmpHttpsTransport;
  auth: ClientCredential;
  signKey: VihfSigningKey;
  vihf: Omit<VihfInput, 'issueInstant' | 'id'>;
}

function envelope(action: string, to: string, vihfXml: string, body: string): string {
  return (
    `<soap:Envelope xmlns:soap="${NS.soap}" xmlns:wsa="${NS.wsa}"><soap:Header>` +
    `<wsa:MessageID>urn:uuid:${randomUUID()}</wsa:MessageID><wsa:To>${to}</wsa:To>` +
    `<wsa:Action soap:mustUnderstand="true">${action}</wsa:Action>` +
    `<wsse:Security xmlns:wsse="${NS.wsse}">${vihfXml}</wsse:Security></soap:Header><soap:Body>${body}</soap:Body></soap:Envelope>`
  );
}

type Tree = { [key: string]: Tree } & { toString(): string };
/** A path into what fast-xml-parser returns; a missing step gives undefined. */
function at(tree: unknown, ...path: (string | number)[]): Tree | undefined {
  let node = tree as Tree | undefined;
  for (const step of path)
    node = node === undefined || node === null ? undefined : (node as unknown as Record<string | number, Tree>)[step];
  return node ?? undefined;
}
const list = (node: Tree | undefined): Tree[] => (node === undefined ? [] : Array.isArray(node) ? (node as Tree[]) : [node]);

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  removeNSPrefix: true,
  parseTagValue: false,
  isArray: (n) => ['ExtrinsicObject', 'ExternalIdentifier', 'DocumentResponse', 'RegistryError'].includes(n),
});

async function call(ctx: ReadBackContext, url: string, action: string, body: string) {
  const vihf = signVihf({ ...ctx.vihf, issueInstant: new Date() }, ctx.signKey);
  const message = buildMtomMessage(envelope(action, url, vihf.xml, body), [], action);
  const answer = await ctx.transport.post(url, ctx.auth, message.contentType, message.body);
  const parts = parseMultipart(String(answer.headers['content-type']), answer.body);
  return { status: answer.status, parts, xml: parser.parse(parts.root.bytes.toString('utf8')) as Tree };
}

/** ITI-18 FindDocuments (approved entries of the patient): their uniqueIds and repository ids. */
export async function findDocuments(
  ctx: ReadBackContext,
  registryUrl: string,
  patientId: string,
): Promise<{ uniqueId: string; repositoryUniqueId: string; hash: string }[]> {
  const body =
    '<query:AdhocQueryRequest xmlns:query="urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0" xmlns:rim="urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0">' +
    '<query:ResponseOption returnComposedObjects="true" returnType="LeafClass"/>' +
    '<rim:AdhocQuery id="urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d">' +
    `<rim:Slot name="$XDSDocumentEntryPatientId"><rim:ValueList><rim:Value>'${patientId.replace(/&/g, '&amp;')}'</rim:Value></rim:ValueList></rim:Slot>` +
    '<rim:Slot name="$XDSDocumentEntryStatus"><rim:ValueList><rim:Value>(\'urn:oasis:names:tc:ebxml-regrep:StatusType:Approved\')</rim:Value></rim:ValueList></rim:Slot>' +
    '</rim:AdhocQuery></query:AdhocQueryRequest>';
  const { xml } = await call(ctx, registryUrl, ACTIONS.iti18, body);
  const response = at(xml, 'Envelope', 'Body', 'AdhocQueryResponse');
  if (!String(at(response, '@_status') ?? '').endsWith('Success')) throw new Error('FindDocuments failed');
  const slot = (e: Tree, name: string): string => {
    const value = at(
      list(at(e, 'Slot')).find((s) => String(at(s, '@_name')) === name),
      'ValueList',
      'Value',
    );
    return String(list(value)[0] ?? '');
  };
  return list(at(response, 'RegistryObjectList', 'ExtrinsicObject')).map((e) => ({
    uniqueId: String(
      at(
        list(at(e, 'ExternalIdentifier')).find(
          (x) => String(at(x, '@_identificationScheme')) === 'urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab',
        ),
        '@_value',
      ) ?? '',
    ),
    repositoryUniqueId: slot(e, 'repositoryUniqueId'),
    hash: slot(e, 'hash'),
  }));
}

/** ITI-43 Retrieve Document Set: the bytes of one document, as the repository holds them. */
export async function retrieveDocument(
  ctx: ReadBackContext,
  repositoryUrl: string,
  repositoryUniqueId: string,
  uniqueId: string,
): Promise<Buffer> {
  const body =
    '<xdsb:RetrieveDocumentSetRequest xmlns:xdsb="urn:ihe:iti:xds-b:2007"><xdsb:DocumentRequest>' +
    `<xdsb:RepositoryUniqueId>${repositoryUniqueId}</xdsb:RepositoryUniqueId><xdsb:DocumentUniqueId>${uniqueId}</xdsb:DocumentUniqueId>` +
    '</xdsb:DocumentRequest></xdsb:RetrieveDocumentSetRequest>';
  const { xml, parts } = await call(ctx, repositoryUrl, ACTIONS.iti43, body);
  const document = at(xml, 'Envelope', 'Body', 'RetrieveDocumentSetResponse', 'DocumentResponse', 0);
  if (!document) throw new Error('Retrieve failed: no DocumentResponse');
  const href = String(at(document, 'Document', 'Include', '@_href') ?? '');
  const part = parts.byContentId.get(href.replace(/^cid:/, ''));
  if (!part) throw new Error('Retrieve answer names a part it does not carry');
  return part.bytes;
}
