import { readXdmArchive, XDS, deriveSignatureUniqueId, xdsHashAndSize } from '@passerelle/xdm';
import type { XdsDocumentMetadata } from '@passerelle/cda';
import { sampleMetadata } from '../../../test/fixtures/xds-metadata';
import type { DmpSubmission, MssMessage } from '@passerelle/schemas';
import {
  buildDmpSubmission,
  buildMssMessage,
  carriesIns,
  DEFAULT_CONTENT_TYPE_CODE,
  loadMessageSettings,
  MessageError,
  xdsTime,
  type MessageContext,
  type MssMessageInput,
} from './messages';

const MATRICULE = '279035121518989';
const documentXml =
  '<?xml version="1.0" encoding="UTF-8"?>\n<ClinicalDocument xmlns="urn:hl7-org:v3"><title>Note de vaccination</title>' +
  '<recordTarget><patientRole><id root="1.2.250.1.213.1.4.10" extension="279035121518989"/></patientRole></recordTarget></ClinicalDocument>\n';
const signatureXml = '<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#" Id="sig"><ds:SignedInfo/></ds:Signature>';
const SET_ID = '2.25.226180104452231917633960217040542458183';

function metadata(overrides: Partial<XdsDocumentMetadata> = {}): XdsDocumentMetadata {
  return sampleMetadata(documentXml, { patientId: `${MATRICULE}^^^&1.2.250.1.213.1.4.10&ISO^NH`, ...overrides });
}

const context: MessageContext = {
  sourceId: '1.2.250.1.999.42.1',
  contentTypeCode: DEFAULT_CONTENT_TYPE_CODE,
  submissionTime: '20251121093005',
  productReference: 'PASSERELLE-0.1',
  producer: { vendor: 'Éditeur', product: 'Passerelle', version: '0.1.0' },
};

function input(overrides: Partial<MssMessageInput> = {}): MssMessageInput {
  return {
    route: { kind: 'mss', to: [`${MATRICULE}@patient.mssante.fr`], audience: 'patient' },
    metadata: metadata(),
    documentXml,
    signatureXml,
    submissionSetUniqueId: SET_ID,
    from: 'pharmacie.italie@pharmacie-italie.mssante.fr',
    pharmacyName: "Pharmacie de la Place d'Italie",
    context,
    ...overrides,
  };
}

const PERSONAL = [MATRICULE, 'PAT-TROIS', 'DOMINIQUE', '19790315'];

describe('buildMssMessage', () => {
  it('builds the patient message: FIN, INS O, the XDM archive, nothing personal in subject or text', async () => {
    const message = await buildMssMessage(input());
    expect(message).toMatchObject({
      audience: 'patient',
      from: 'pharmacie.italie@pharmacie-italie.mssante.fr',
      to: [`${MATRICULE}@patient.mssante.fr`],
      attachmentName: 'IHE_XDM.ZIP',
    });
    expect(message.headers).toEqual({
      'X-MSS-CODECDA': '87273-9',
      'X-MSS-INS': 'O',
      'X-MSS-NIL': 'PASSERELLE-0.1',
      'X-MSS-MES': 'FIN',
    });
    expect(message.subject).toBe('XDM/1.0/DDM+Note de vaccination');
    expect(message.text).toContain('21/11/2025');
    for (const value of PERSONAL) {
      expect(message.subject).not.toContain(value);
      expect(message.text).not.toContain(value);
    }

    const archive = await readXdmArchive(message.attachment);
    expect(archive.submissionSet.uniqueId).toBe(SET_ID);
    expect(archive.submissionSet.patientId).toBe(metadata().patientId);
    expect(archive.documents.map((d) => [d.id, d.uri, d.intact])).toEqual([
      ['Document01', 'DOC0001.XML', true],
      ['Signature01', 'DOC0002.XML', true],
    ]);
    expect(archive.metadataXml).toContain(`||^^Internet^${MATRICULE}@patient.mssante.fr`);
  });

  it('builds the professionals message without X-MSS-MES, naming only them', async () => {
    const to = ['jean.dupont@medecin.mssante.fr', 'ide.martin@infirmier.mssante.fr'];
    const message = await buildMssMessage(input({ route: { kind: 'mss', to, audience: 'professionals' } }));
    expect(message.audience).toBe('professionals');
    expect(message.to).toEqual(to);
    expect(message.headers['X-MSS-MES']).toBeUndefined();
    expect(message.headers['X-MSS-INS']).toBe('O');
    for (const value of PERSONAL) expect(`${message.subject}\n${message.text}`).not.toContain(value);
    const archive = await readXdmArchive(message.attachment);
    expect(archive.metadataXml).not.toContain('patient.mssante.fr');
    expect(archive.metadataXml).toContain('||^^Internet^jean.dupont@medecin.mssante.fr');
  });

  it('gives the same bytes for the same input', async () => {
    const a = await buildMssMessage(input());
    const b = await buildMssMessage(input());
    expect(b.attachment.equals(a.attachment)).toBe(true);
    expect(b).toEqual(a);
  });

  it('keeps names with line breaks and metacharacters out of the headers', async () => {
    const message = await buildMssMessage(
      input({ pharmacyName: 'Pharmacie <A&B>\r\nBcc: attacker@example.com', metadata: metadata({ title: 'Note\nde "vaccination"' }) }),
    );
    expect(message.subject).not.toMatch(/[\r\n]/);
    expect(message.subject).toBe('XDM/1.0/DDM+Note de "vaccination"');
    expect(message.text).not.toMatch(/\r|\nBcc/);
    expect(message.to).toEqual([`${MATRICULE}@patient.mssante.fr`]);
  });

  it('refuses a sender or a recipient outside MSSanté, an empty product reference, a document its metadata does not describe', async () => {
    await expect(buildMssMessage(input({ from: 'pharmacie@gmail.com' }))).rejects.toThrow(MessageError);
    await expect(buildMssMessage(input({ route: { kind: 'mss', to: ['x@gmail.com'], audience: 'professionals' } }))).rejects.toMatchObject({
      code: 'MESSAGE_INVALID_INPUT',
    });
    await expect(buildMssMessage(input({ route: { kind: 'mss', to: [], audience: 'professionals' } }))).rejects.toThrow(
      'route.to must be one or more MSSanté addresses',
    );
    await expect(buildMssMessage(input({ context: { ...context, productReference: ' ' } }))).rejects.toThrow(
      'context.productReference must not be empty',
    );
    await expect(buildMssMessage(input({ documentXml: `${documentXml}x` }))).rejects.toThrow(
      'metadata.hash and metadata.size must describe documentXml',
    );
  });

  it('says N in X-MSS-INS when the patient id is not an INS', async () => {
    expect(carriesIns(`${MATRICULE}^^^&1.2.250.1.213.1.4.8&ISO^NH`)).toBe(true);
    expect(carriesIns('LGO-P-42^^^&1.2.250.1.999.1&ISO^PI')).toBe(false);
    const message = await buildMssMessage(
      input({
        route: { kind: 'mss', to: ['jean.dupont@medecin.mssante.fr'], audience: 'professionals' },
        metadata: metadata({ patientId: 'LGO-P-42^^^&1.2.250.1.999.1&ISO^PI' }),
      }),
    );
    expect(message.headers['X-MSS-INS']).toBe('N');
  });
});

describe('the messages of one document', () => {
  const dmpInput = (m = metadata(), sig = signatureXml) => ({
    metadata: m,
    documentXml,
    signatureXml: sig,
    submissionSetUniqueId: SET_ID,
    context,
  });

  it("carry one submission set: the DMP submission's, with each archive's recipients and file names added", async () => {
    const m = metadata();
    const dmp = buildDmpSubmission(dmpInput(m));
    const patient = await buildMssMessage(input({ metadata: m }));
    const professionals = await buildMssMessage(
      input({ metadata: m, route: { kind: 'mss', to: ['jean.dupont@medecin.mssante.fr'], audience: 'professionals' } }),
    );
    const [a, b] = await Promise.all([readXdmArchive(patient.attachment), readXdmArchive(professionals.attachment)]);
    // Less the intendedRecipient slot and the URI slots, METADATA.XML is the DMP's submission set.
    const common = (xml: string) => xml.replace(/\n *<Slot name="(intendedRecipient|URI)">\n(?: *<.*\n)*? *<\/Slot>/g, '');
    expect(common(a.metadataXml)).toBe(dmp.submissionSetXml);
    expect(common(b.metadataXml)).toBe(dmp.submissionSetXml);
    expect(a.metadataXml).toContain(`||^^Internet^${MATRICULE}@patient.mssante.fr`);
    expect(b.metadataXml).toContain('||^^Internet^jean.dupont@medecin.mssante.fr');
  });

  it("are never answered from another document's parts, even through a reused and changed object", async () => {
    const m = metadata();
    const first = buildDmpSubmission(dmpInput(m));
    const otherSignature = '<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#" Id="other"><ds:SignedInfo/></ds:Signature>';
    const second = buildDmpSubmission(dmpInput(m, otherSignature));
    expect(second.submissionSetXml).not.toBe(first.submissionSetXml);
    expect(second.submissionSetXml).toContain(`<Value>${xdsHashAndSize(otherSignature).hash}</Value>`);
    m.title = 'Note de vaccination (version 2)';
    const retitled = await buildMssMessage(input({ metadata: m }));
    expect((await readXdmArchive(retitled.attachment)).metadataXml).toContain('value="Note de vaccination (version 2)"');
    // Back to the first document: the same bytes as the first time.
    m.title = metadata().title;
    expect(buildDmpSubmission(dmpInput(m)).submissionSetXml).toBe(first.submissionSetXml);
    // A document that fails its checks leaves nothing behind for the next one.
    expect(() => buildDmpSubmission({ ...dmpInput(m), documentXml: `${documentXml} ` })).toThrow(MessageError);
    expect(buildDmpSubmission(dmpInput(m)).submissionSetXml).toBe(first.submissionSetXml);
  });
});

describe('topic shapes', () => {
  it('spread into the mss.messages and dmp.submissions values', async () => {
    const ids = { eventId: 'e-1', occurredAt: 1763800120000, documentId: metadata().uniqueId };
    const mss: MssMessage = { ...ids, ...(await buildMssMessage(input())), authorFiness: '750100208', history: [] };
    const dmp: DmpSubmission = {
      ...ids,
      ...buildDmpSubmission({ metadata: metadata(), documentXml, signatureXml, submissionSetUniqueId: SET_ID, context }),
      history: [],
    };
    expect(mss.attachmentName).toBe('IHE_XDM.ZIP');
    expect(dmp.submissionSetUniqueId).toBe(SET_ID);
  });
});

describe('buildDmpSubmission', () => {
  it('carries the document, its metadata, the DSG signature and the signed submission set', async () => {
    const submission = buildDmpSubmission({ metadata: metadata(), documentXml, signatureXml, submissionSetUniqueId: SET_ID, context });
    expect(submission.documentXml.toString('utf8')).toBe(documentXml);
    expect(submission.signatureXml.toString('utf8')).toBe(signatureXml);
    // Bytes (as they travel) are passed on as they are, not copied.
    const bytes = { documentXml: Buffer.from(documentXml), signatureXml: Buffer.from(signatureXml) };
    const fromBytes = buildDmpSubmission({ metadata: metadata(), ...bytes, submissionSetUniqueId: SET_ID, context });
    expect(fromBytes.documentXml).toBe(bytes.documentXml);
    expect(fromBytes.signatureXml).toBe(bytes.signatureXml);
    expect(fromBytes.submissionSetXml).toBe(submission.submissionSetXml);
    expect(submission.metadata).toEqual(metadata());
    expect(submission.submissionSetUniqueId).toBe(SET_ID);
    const xml = submission.submissionSetXml;
    expect(xml).toContain(`identificationScheme="${XDS.submissionSet.uniqueId}" registryObject="SubmissionSet01" value="${SET_ID}"`);
    expect(xml).toContain(`value="${deriveSignatureUniqueId(SET_ID)}"`);
    expect(xml).toContain('nodeRepresentation="urn:oid:1.3.6.1.4.1.19376.1.2.1.1.1"');
    expect(xml).toContain('nodeRepresentation="E1762"');
    expect(xml).toContain('nodeRepresentation="http://www.w3.org/2000/09/xmldsig#"');
    expect(xml).toContain(
      `associationType="${XDS.associationType.signs}" id="assoc3" sourceObject="Signature01" targetObject="SubmissionSet01"`,
    );
    expect(xml).not.toContain('name="URI"');

    // The XDM archive of the same document carries the same submission set and signature entry.
    const archive = await readXdmArchive((await buildMssMessage(input())).attachment);
    expect(archive.submissionSet.uniqueId).toBe(SET_ID);
    expect(archive.documents[1]?.uniqueId).toBe(deriveSignatureUniqueId(SET_ID));
  });

  it('refuses a submission without signature, or whose metadata does not describe the document', () => {
    const base = { metadata: metadata(), documentXml, signatureXml, submissionSetUniqueId: SET_ID, context };
    expect(() => buildDmpSubmission({ ...base, signatureXml: '' })).toThrow(expect.objectContaining({ code: 'MESSAGE_INVALID_INPUT' }));
    expect(() => buildDmpSubmission({ ...base, metadata: metadata({ size: 1 }) })).toThrow(MessageError);
  });
});

describe('settings', () => {
  const env = {
    PASSERELLE_XDS_SOURCE_ID: '1.2.250.1.999.42.1',
    PASSERELLE_MSS_PRODUCT_REFERENCE: 'PASSERELLE-0.1',
    PASSERELLE_VENDOR_NAME: 'Éditeur',
  };

  it('loads with defaults', () => {
    expect(loadMessageSettings(env)).toEqual({
      sourceId: '1.2.250.1.999.42.1',
      contentTypeCode: DEFAULT_CONTENT_TYPE_CODE,
      productReference: 'PASSERELLE-0.1',
      producer: { vendor: 'Éditeur', product: 'Passerelle', version: '0.1.0' },
    });
    expect(
      loadMessageSettings({ ...env, PASSERELLE_XDS_CONTENT_TYPE_CODE: '04^Hospitalisation de jour^1.2.250.1.213.2.2' }).contentTypeCode,
    ).toEqual({ code: '04', displayName: 'Hospitalisation de jour', codeSystem: '1.2.250.1.213.2.2' });
  });

  it.each<[string, Record<string, string | undefined>, string]>([
    ['a missing source id', { PASSERELLE_XDS_SOURCE_ID: undefined }, 'PASSERELLE_XDS_SOURCE_ID is required'],
    ['a source id that is not an OID', { PASSERELLE_XDS_SOURCE_ID: 'vendor' }, 'PASSERELLE_XDS_SOURCE_ID must be an OID'],
    ['an empty product reference', { PASSERELLE_MSS_PRODUCT_REFERENCE: '' }, 'PASSERELLE_MSS_PRODUCT_REFERENCE is required'],
    ['a missing vendor', { PASSERELLE_VENDOR_NAME: undefined }, 'PASSERELLE_VENDOR_NAME is required'],
    [
      'a bad content type code',
      { PASSERELLE_XDS_CONTENT_TYPE_CODE: '07' },
      'PASSERELLE_XDS_CONTENT_TYPE_CODE must be code^displayName^codeSystemOid',
    ],
  ])('fails fast on %s', (_name, overrides, message) => {
    expect(() => loadMessageSettings({ ...env, ...overrides })).toThrow(message);
  });

  it('formats XDS times in UTC', () => {
    expect(xdsTime(Date.UTC(2025, 10, 21, 9, 30, 5))).toBe('20251121093005');
  });
});
