import { PDFDocument, StandardFonts, rgb, type PDFFont, type PDFPage } from 'pdf-lib';
import type { MedicationReviewEvent } from '@passerelle/schemas';
import { frenchDate, hl7Date } from './hl7-time';

const PAGE = { width: 595.28, height: 841.89, margin: 50 };
const SIZE = { title: 16, heading: 12, body: 10 };
const LINE = 1.35;

const SEX_LABEL: Record<string, string> = { F: 'Féminin', M: 'Masculin', U: 'Inconnu' };
const INS_LABEL: Record<string, string> = {
  '1.2.250.1.213.1.4.8': 'INS-NIR',
  '1.2.250.1.213.1.4.9': 'INS-NIA',
  '1.2.250.1.213.1.4.10': 'INS-NIR de test',
  '1.2.250.1.213.1.4.11': 'INS-NIR de démonstration',
};

/**
 * Makes text drawable with a standard PDF font. pdf-lib's standard fonts use WinAnsi encoding, which holds the
 * French letters (é, è, ç, œ, …) but not everything an LGO may send: a character outside it is replaced by its
 * base letter when it has one (ő → o), else by '?', instead of making the whole document fail.
 */
export function winAnsiText(text: string, charset: ReadonlySet<number>): string {
  let out = '';
  for (const ch of text.normalize('NFC').replace(/[\t\r\n\u2028\u2029]+/g, ' ')) {
    const cp = ch.codePointAt(0) ?? 0;
    if (charset.has(cp)) {
      out += ch;
      continue;
    }
    const base = ch.normalize('NFD').replace(/[\u0300-\u036f]/g, '');
    out += base.length > 0 && [...base].every(c => charset.has(c.codePointAt(0) ?? 0)) ? base : '?';
  }
  return out;
}

class Writer {
  private page!: PDFPage;
  private y = 0;
  readonly pages: PDFPage[] = [];

  constructor(
    private readonly doc: PDFDocument,
    private readonly font: PDFFont,
    private readonly bold: PDFFont,
    private readonly charset: ReadonlySet<number>,
  ) {
    this.newPage();
  }

  private newPage(): void {
    this.page = this.doc.addPage([PAGE.width, PAGE.height]);
    this.pages.push(this.page);
    this.y = PAGE.height - PAGE.margin;
  }

  private ensure(height: number): void {
    if (this.y - height < PAGE.margin + 20) this.newPage();
  }

  /**
   * Splits a paragraph into lines that fit the width, breaking words longer than a line. Widths are summed word by
   * word (measuring each candidate line again made long reviews quadratic); kerning is ignored, so a small margin
   * keeps the sum on the safe side.
   */
  private wrap(text: string, font: PDFFont, size: number, width: number): string[] {
    const limit = width - size;
    const space = font.widthOfTextAtSize(' ', size);
    const lines: string[] = [];
    let current = '';
    let currentWidth = 0;
    for (const word of text.split(' ').filter(w => w !== '')) {
      let w = word;
      let ww = font.widthOfTextAtSize(w, size);
      while (ww > limit) {
        let cut = Math.max(1, Math.floor((w.length * limit) / ww));
        while (cut > 1 && font.widthOfTextAtSize(w.slice(0, cut), size) > limit) cut--;
        if (current) lines.push(current);
        current = '';
        currentWidth = 0;
        lines.push(w.slice(0, cut));
        w = w.slice(cut);
        ww = font.widthOfTextAtSize(w, size);
      }
      if (current === '') {
        current = w;
        currentWidth = ww;
      } else if (currentWidth + space + ww <= limit) {
        current += ` ${w}`;
        currentWidth += space + ww;
      } else {
        lines.push(current);
        current = w;
        currentWidth = ww;
      }
    }
    if (current) lines.push(current);
    return lines.length > 0 ? lines : [''];
  }

  text(raw: string, options: { size?: number; bold?: boolean; indent?: number; gapAfter?: number } = {}): void {
    const size = options.size ?? SIZE.body;
    const font = options.bold ? this.bold : this.font;
    const indent = options.indent ?? 0;
    const text = winAnsiText(raw, this.charset);
    for (const line of this.wrap(text, font, size, PAGE.width - 2 * PAGE.margin - indent)) {
      this.ensure(size * LINE);
      this.y -= size * LINE;
      this.page.drawText(line, { x: PAGE.margin + indent, y: this.y, size, font, color: rgb(0, 0, 0) });
    }
    this.y -= options.gapAfter ?? 0;
  }

  field(label: string, value: string): void {
    this.text(`${label} : ${value}`, { indent: 10 });
  }

  heading(title: string): void {
    this.y -= 8;
    this.ensure(SIZE.heading * LINE * 2);
    this.text(title, { size: SIZE.heading, bold: true, gapAfter: 2 });
    this.page.drawLine({
      start: { x: PAGE.margin, y: this.y },
      end: { x: PAGE.width - PAGE.margin, y: this.y },
      thickness: 0.5,
      color: rgb(0.4, 0.4, 0.4),
    });
    this.y -= 4;
  }

  bullets(items: string[], empty: string): void {
    if (items.length === 0) this.text(empty, { indent: 10 });
    for (const item of items) this.text(`• ${item}`, { indent: 10 });
  }

  footer(note: string): void {
    const total = this.pages.length;
    this.pages.forEach((page, i) => {
      const text = winAnsiText(`${note} - page ${i + 1}/${total}`, this.charset);
      page.drawText(text, { x: PAGE.margin, y: PAGE.margin - 20, size: 8, font: this.font, color: rgb(0.3, 0.3, 0.3) });
    });
  }
}

/** The review's title as the document shows it. */
export function reviewTitle(event: MedicationReviewEvent): string {
  return event.review.kind === 'ENTRETIEN_PHARMACEUTIQUE'
    ? "Compte rendu d'entretien pharmaceutique"
    : 'Bilan partagé de médication';
}

/**
 * Renders a medication review or pharmaceutical interview as a PDF a physician can read: the patient's identity with
 * the INS traits, the pharmacy, the pharmacist, the date and the whole review. Deterministic: dates inside the PDF
 * come from the event, so the same event gives the same bytes.
 */
export async function renderReviewPdf(event: MedicationReviewEvent, version: number): Promise<Uint8Array> {
  const doc = await PDFDocument.create({ updateMetadata: false });
  const when = new Date(event.occurredAt);
  const title = reviewTitle(event);
  doc.setTitle(title);
  doc.setLanguage('fr-FR');
  doc.setCreator('Passerelle');
  doc.setProducer('Passerelle (pdf-lib)');
  doc.setCreationDate(when);
  doc.setModificationDate(when);
  const font = doc.embedStandardFont(StandardFonts.Helvetica);
  const bold = doc.embedStandardFont(StandardFonts.HelveticaBold);
  const charset = new Set(font.getCharacterSet());
  const w = new Writer(doc, font, bold, charset);
  const r = event.review;
  const p = event.patient;
  const ph = event.pharmacy;
  const a = event.author;

  w.text(title, { size: SIZE.title, bold: true, gapAfter: 4 });
  if (r.topic) w.text(`Thème : ${r.topic}`, { size: SIZE.heading, gapAfter: 2 });
  w.text(`Réalisé le ${frenchDate(hl7Date(r.performedAt))} à la ${ph.name}`, { gapAfter: 2 });
  if (version > 1) w.text(`Version ${version} : ce document remplace la version précédente.`, { bold: true });

  w.heading('Patient');
  w.field('Nom de naissance', p.birthFamilyName);
  w.field('Prénom(s) de naissance', p.birthGivenNames);
  w.field('Premier prénom de naissance', p.firstGivenName);
  if (p.usedFamilyName) w.field("Nom d'usage", p.usedFamilyName);
  if (p.usedGivenName) w.field('Prénom utilisé', p.usedGivenName);
  w.field('Sexe', SEX_LABEL[p.sex] ?? p.sex);
  w.field('Date de naissance', frenchDate(hl7Date(p.birthDate)));
  w.field('Lieu de naissance (code INSEE)', p.birthPlace);
  w.field(INS_LABEL[p.ins.oid] ?? 'INS', p.ins.matricule);

  w.heading('Pharmacie');
  w.field('Nom', ph.name);
  w.field('Adresse', [...ph.address.lines, `${ph.address.postalCode} ${ph.address.city}`].join(', '));
  w.field('FINESS', ph.finess);
  if (ph.telecom) w.field('Téléphone', ph.telecom);
  w.field('Messagerie sécurisée', ph.mssanteAddress);

  w.heading('Pharmacien');
  w.field('Nom', `${a.givenName} ${a.familyName}`);
  w.field('RPPS', a.rpps);
  w.field('Qualité', a.role === 'TITULAIRE' ? "Pharmacien titulaire d'officine" : 'Pharmacien');

  w.heading('Traitements examinés');
  if (r.medications.length === 0) w.text('Aucun traitement renseigné.', { indent: 10 });
  for (const m of r.medications) {
    w.text(`• ${m.label}${m.cip13 ? ` (CIP ${m.cip13})` : ''}`, { indent: 10, bold: true });
    if (m.posology) w.text(`Posologie : ${m.posology}`, { indent: 22 });
    if (m.comment) w.text(`Commentaire : ${m.comment}`, { indent: 22 });
  }

  w.heading('Constats');
  w.bullets(r.findings, 'Aucun constat.');
  w.heading('Recommandations');
  w.bullets(r.recommendations, 'Aucune recommandation.');
  if (r.conclusion) {
    w.heading('Conclusion');
    w.text(r.conclusion, { indent: 10 });
  }
  w.footer(`${title} - ${ph.name} - ${a.givenName} ${a.familyName}`);
  return doc.save({ useObjectStreams: false });
}
