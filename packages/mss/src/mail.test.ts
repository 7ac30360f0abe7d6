import type { MssMessage } from '@passerelle/schemas';
import { MssError } from './errors';
import { checkMessage, mailOptions, messageIdFor } from './mail';

const DOCUMENT = '2.25.143062853462389146612733618311634911873';
const FROM = 'officine@pharmacie-italie.mssante.fr';
const PATIENT = '279035121518989@patient.mssante.fr';

function message(overrides: Partial<MssMessage> = {}): MssMessage {
  return {
    eventId: 'e1',
    occurredAt: 0,
    documentId: DOCUMENT,
    audience: 'professionals',
    from: FROM,
    to: ['dr.martin@medecin.mssante.fr'],
    subject: 'Note de vaccination – Pharmacie',
    text: 'Bonjour',
    headers: { 'X-MSS-CODECDA': '87273-9', 'X-MSS-INS': 'O', 'X-MSS-NIL': 'PASSERELLE-0.1' },
    attachmentName: 'IHE_XDM.ZIP',
    attachment: Buffer.from('PK'),
    authorFiness: '750100208',
    history: [],
    ...overrides,
  };
}

function refusal(m: MssMessage): MssError {
  try {
    checkMessage(m);
  } catch (err) {
    return err as MssError;
  }
  throw new Error('expected checkMessage to refuse');
}

describe('messageIdFor', () => {
  it('is the same for the same document and recipient, whatever the case of the address', () => {
    const id = messageIdFor(DOCUMENT, 'Dr.Martin@medecin.mssante.fr', FROM);
    expect(id).toBe(messageIdFor(DOCUMENT, 'dr.martin@medecin.mssante.fr', FROM));
    expect(id).toMatch(/^<[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}@pharmacie-italie\.mssante\.fr>$/);
  });

  it('differs per recipient and per document, and carries neither', () => {
    const id = messageIdFor(DOCUMENT, PATIENT, FROM);
    expect(id).not.toBe(messageIdFor(DOCUMENT, 'dr.martin@medecin.mssante.fr', FROM));
    expect(id).not.toBe(messageIdFor('2.25.1', PATIENT, FROM));
    expect(id).not.toContain('279035121518989');
    expect(id).not.toContain(DOCUMENT);
  });

  it('for the patient: derived from the document alone, so that no hash of the INS travels with it', () => {
    const id = messageIdFor(DOCUMENT, PATIENT, FROM);
    expect(messageIdFor(DOCUMENT, '253072B07300470@patient.mssante.fr', FROM)).toBe(id);
    expect(messageIdFor('2.25.1', PATIENT, FROM)).not.toBe(id);
  });

  it("is a fixed vector (checked with Python's uuid.uuid5): changing the derivation would break deduplication across versions", () => {
    expect(messageIdFor('d', 'R@x.mssante.fr', 'f@Y.mssante.fr')).toBe('<ffdf7a97-a99f-5098-82ce-6647a5865bc4@y.mssante.fr>');
  });
});

describe('checkMessage', () => {
  it("accepts the router's professional and patient messages", () => {
    expect(() => checkMessage(message())).not.toThrow();
    expect(() =>
      checkMessage(message({ audience: 'patient', to: [PATIENT], headers: { ...message().headers, 'X-MSS-MES': 'FIN' } })),
    ).not.toThrow();
  });

  it.each<[string, Partial<MssMessage>]>([
    ['a sender outside MSSanté', { from: 'officine@example.org' }],
    ['a patient mailbox as sender', { from: PATIENT }],
    ['no recipient', { to: [] }],
    ['a recipient outside MSSanté', { to: ['dr@example.org'] }],
    ['a repeated recipient', { to: ['a@medecin.mssante.fr', 'A@medecin.mssante.fr'] }],
    ['another attachment name', { attachmentName: 'doc.zip' }],
    ['an empty archive', { attachment: Buffer.alloc(0) }],
    ['a header other than X-MSS-*', { headers: { ...message().headers, Bcc: 'x@medecin.mssante.fr' } }],
    ['a header with a line break', { headers: { ...message().headers, 'X-MSS-NIL': 'P\r\nBcc: x@y.fr' } }],
    ['no X-MSS-NIL', { headers: { 'X-MSS-CODECDA': '87273-9', 'X-MSS-INS': 'O' } }],
    ['no X-MSS-CODECDA', { headers: { 'X-MSS-INS': 'O', 'X-MSS-NIL': 'P' } }],
    ['X-MSS-INS neither O nor N', { headers: { ...message().headers, 'X-MSS-INS': 'oui' } }],
    ['a patient mailbox in a professionals message', { to: ['dr@medecin.mssante.fr', PATIENT] }],
    ['a patient message to a professional', { audience: 'patient', headers: { ...message().headers, 'X-MSS-MES': 'FIN' } }],
    ['a patient message without X-MSS-MES: FIN', { audience: 'patient', to: [PATIENT] }],
  ])('refuses %s (permanent, the rule named, no value)', (_, overrides) => {
    const err = refusal(message(overrides));
    expect(err).toBeInstanceOf(MssError);
    expect(err).toMatchObject({ code: 'MSS_INVALID_MESSAGE', errorClass: 'permanent', retryable: false });
    expect(err.message).not.toMatch(/@|279035121518989/);
  });
});

describe('mailOptions', () => {
  it('one recipient in the envelope, every recipient in To, the X-MSS headers, the archive, a DSN request', () => {
    const m = message({ to: ['a@medecin.mssante.fr', 'b@medecin.mssante.fr'] });
    const options = mailOptions(m, { recipient: 'b@medecin.mssante.fr', date: new Date(0) });
    const id = messageIdFor(DOCUMENT, 'b@medecin.mssante.fr', FROM);
    expect(options).toMatchObject({
      from: FROM,
      to: m.to,
      messageId: id,
      headers: m.headers,
      envelope: { from: FROM, to: ['b@medecin.mssante.fr'] },
      dsn: { id: id.slice(1, id.indexOf('@')), return: 'headers', notify: ['success', 'failure'], recipient: 'b@medecin.mssante.fr' },
    });
    expect(options.attachments).toEqual([{ filename: 'IHE_XDM.ZIP', content: m.attachment, contentType: 'application/zip' }]);
  });
});
