import type { SendMailOptions } from 'nodemailer';
import { MSS_MESSAGE_NAMESPACE, nameBasedUuid } from '@passerelle/identifiers';
import { insAuthority } from '@passerelle/ins';
import type { MssMessage } from '@passerelle/schemas';
import { readXdmArchive } from '@passerelle/xdm';
import { MssError } from './errors';

/** The Mon espace santé domain: `<matricule INS>@patient.mssante.fr` (REFERENCE §6). */
export const PATIENT_DOMAIN = 'patient.mssante.fr';
export const XDM_ATTACHMENT = 'IHE_XDM.ZIP';

// A plain addr-spec in the MSSanté domain: health data must not leave the MSSanté trust space.
const MSSANTE_ADDRESS = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@([A-Za-z0-9-]+\.)*mssante\.fr$/;

export const isMssanteAddress = (address: string): boolean => MSSANTE_ADDRESS.test(address);
export const isPatientMailbox = (address: string): boolean => address.toLowerCase().endsWith(`@${PATIENT_DOMAIN}`);

/**
 * The Message-ID of the mail of a document to one recipient: a version-5 UUID of the document's uniqueId and the
 * recipient (lower case), at the sender's domain. The same document to the same recipient always gets the same id,
 * so a mail sent again after a crash or a retry is recognisable as the same message (RFC 5322 §3.6.4), by the
 * simulator and by any receiver that deduplicates.
 *
 * For the patient's mailbox the name is the document and `patient`, not the address: a document has one patient,
 * and a hash of an INS (13 digits and a key) could be reversed by trying them all, while the Message-ID may travel
 * in statuses and logs.
 */
export function messageIdFor(documentId: string, recipient: string, from: string): string {
  const who = isPatientMailbox(recipient) ? 'patient' : recipient.toLowerCase();
  const uuid = nameBasedUuid(MSS_MESSAGE_NAMESPACE, `${documentId}\n${who}`);
  const domain = from.slice(from.lastIndexOf('@') + 1).toLowerCase();
  return `<${uuid}@${domain}>`;
}

const invalid = (rule: string) => new MssError('MSS_INVALID_MESSAGE', `mss.messages record: ${rule}`);

/**
 * The record as the router writes it (services/router/src/messages.ts), checked again before anything leaves:
 * MSSanté addresses only, the IHE_XDM.ZIP attachment, only `X-MSS-*` headers on one line each, `X-MSS-NIL` always,
 * `X-MSS-CODECDA` and `X-MSS-INS` (O/N) since the archive carries a CDA, and a patient's message apart from the
 * professionals' with `X-MSS-MES: FIN`.
 *
 * @throws MssError MSS_INVALID_MESSAGE naming the rule (never a value)
 */
export function checkMessage(message: MssMessage): void {
  if (!isMssanteAddress(message.from)) throw invalid('from must be an MSSanté address');
  if (isPatientMailbox(message.from)) throw invalid("from must be the pharmacy's mailbox, not a patient's");
  if (message.to.length === 0) throw invalid('to must name at least one recipient');
  if (!message.to.every(isMssanteAddress)) throw invalid('every recipient must be an MSSanté address');
  if (new Set(message.to.map((a) => a.toLowerCase())).size !== message.to.length) throw invalid('to must not repeat a recipient');
  if (message.attachmentName !== XDM_ATTACHMENT) throw invalid(`attachmentName must be ${XDM_ATTACHMENT}`);
  if (message.attachment.length === 0) throw invalid('attachment must hold the IHE XDM archive');
  for (const [name, value] of Object.entries(message.headers)) {
    if (!/^X-MSS-[A-Z0-9-]+$/i.test(name)) throw invalid('headers may only be X-MSS-* headers');
    if (/[\u0000-\u001f\u007f]/.test(value) || value.trim() === '') throw invalid(`header ${name} must be one non-empty line`);
  }
  const header = (name: string) => message.headers[name];
  if (!header('X-MSS-NIL')) throw invalid('X-MSS-NIL (the product reference) is required on every message');
  if (!header('X-MSS-CODECDA')) throw invalid('X-MSS-CODECDA is required with a CDA in IHE_XDM');
  if (header('X-MSS-INS') !== 'O' && header('X-MSS-INS') !== 'N') throw invalid('X-MSS-INS must be O or N');
  const patients = message.to.filter(isPatientMailbox);
  if (message.audience === 'patient') {
    if (patients.length !== message.to.length) throw invalid("a patient message goes to the patient's mailbox only");
    if (header('X-MSS-MES') !== 'FIN') throw invalid('a patient message carries X-MSS-MES: FIN');
  } else if (patients.length > 0) {
    throw invalid('a professionals message must not name a patient mailbox');
  }
}

export interface PatientCheckOptions {
  /** The test and demo INS OIDs are accepted only on a test platform (DESIGN §3) */
  testPlatform: boolean;
}

/** `<id>^^^&<oid>&ISO^NH` → its parts. */
function parseCx(patientId: string | undefined): { id: string; oid: string } | undefined {
  const m = /^([^^]+)\^\^\^&([0-9.]+)&ISO\^NH$/.exec(patientId ?? '');
  return m ? { id: m[1] as string, oid: m[2] as string } : undefined;
}

/**
 * A patient mailbox only for a qualified identity (DESIGN §3, REFERENCE §6): the record says `X-MSS-INS: O`, the
 * archive's submission set and documents carry an INS (an INS OID this platform accepts), and the mailbox is that
 * INS. Otherwise the mail never leaves.
 *
 * @throws MssError MSS_PATIENT_NOT_QUALIFIED, MSS_PATIENT_INS_MISMATCH, MSS_INVALID_MESSAGE (unreadable archive)
 */
export async function checkPatientRecipients(message: MssMessage, options: PatientCheckOptions): Promise<void> {
  const patients = message.to.filter(isPatientMailbox);
  if (patients.length === 0) return;
  if (message.headers['X-MSS-INS'] !== 'O') {
    throw new MssError('MSS_PATIENT_NOT_QUALIFIED', 'a patient mailbox needs a qualified INS in the archive (X-MSS-INS is not O)');
  }
  let archive: Awaited<ReturnType<typeof readXdmArchive>>;
  try {
    archive = await readXdmArchive(message.attachment);
  } catch (cause) {
    throw new MssError('MSS_INVALID_MESSAGE', 'mss.messages record: attachment is not a readable IHE XDM archive', {}, { cause });
  }
  const ids = [archive.submissionSet.patientId, ...archive.documents.map((d) => d.patientId).filter((p) => p !== undefined)];
  const parsed = ids.map(parseCx);
  for (const cx of parsed) {
    if (!cx) throw new MssError('MSS_PATIENT_NOT_QUALIFIED', "the archive's patientId is not an INS (CX ^^^&<OID>&ISO^NH)");
    try {
      insAuthority(cx.oid, options);
    } catch (cause) {
      throw new MssError('MSS_PATIENT_NOT_QUALIFIED', "the archive's patientId is not an INS this platform accepts", {}, { cause });
    }
  }
  const insValues = new Set(parsed.map((cx) => cx?.id));
  for (const mailbox of patients) {
    const local = mailbox.slice(0, mailbox.lastIndexOf('@'));
    if (insValues.size !== 1 || !insValues.has(local)) {
      throw new MssError('MSS_PATIENT_INS_MISMATCH', 'the patient mailbox is not the INS the archive carries');
    }
  }
}

/** What varies per send: the one recipient of this SMTP transaction, and the time. */
export interface MailFor {
  recipient: string;
  date: Date;
}

/**
 * The mail of a record to one recipient, as nodemailer options: `multipart/mixed` with the text and
 * `application/zip; name="IHE_XDM.ZIP"`, the record's `X-MSS-*` headers, the deterministic Message-ID, the envelope
 * to that recipient alone, and a DSN request (NOTIFY=SUCCESS,FAILURE, ORCPT, ENVID = the Message-ID's UUID,
 * RET=HDRS: a bounce returns the headers, never the health document).
 *
 * The `To:` header lists every recipient of the record, as one mail to several would (the router keeps the patient
 * apart from the professionals); the envelope has one, so that each recipient gets its own outcome and Message-ID.
 */
export function mailOptions(message: MssMessage, { recipient, date }: MailFor): SendMailOptions & { messageId: string } {
  const messageId = messageIdFor(message.documentId, recipient, message.from);
  return {
    from: message.from,
    to: message.to,
    subject: message.subject,
    text: message.text,
    date,
    messageId,
    headers: { ...message.headers },
    attachments: [{ filename: XDM_ATTACHMENT, content: message.attachment, contentType: 'application/zip' }],
    envelope: { from: message.from, to: [recipient] },
    dsn: {
      id: messageId.slice(1, messageId.indexOf('@')),
      return: 'headers',
      notify: ['success', 'failure'],
      recipient,
    },
  };
}
