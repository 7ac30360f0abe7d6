import { deflateSync } from 'node:zlib';
import { Encodings, Font, FontNames } from '@pdf-lib/standard-fonts';
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

/** The code points the standard PDF fonts can draw with WinAnsiEncoding. */
export const WIN_ANSI_CHARSET: ReadonlySet<number> = new Set(Encodings.WinAnsi.supportedCodePoints);

/** Each drawable code point as the two hex digits of its WinAnsi code */
const WIN_ANSI_HEX = new Map<number, string>(
  [...WIN_ANSI_CHARSET].map((cp) => [cp, Encodings.WinAnsi.encodeUnicodeCodePoint(cp).code.toString(16).padStart(2, '0')]),
);
/** The same for the code points below 256 (most of French text), by index: no hashing per character */
const LATIN1_HEX: (string | undefined)[] = Array.from({ length: 256 }, (_, cp) => WIN_ANSI_HEX.get(cp));

/**
 * A standard (non-embedded) PDF font with WinAnsiEncoding: its glyph widths (Adobe's metrics, from
 * @pdf-lib/standard-fonts) and each character's code, looked up once when the module loads.
 */
class StandardFont {
  private readonly widths = new Map<number, number>();
  /** The widths of the code points below 256 by index (0 where the font has none, as for the others) */
  private readonly latin1Widths = new Float64Array(256);

  constructor(
    readonly baseFont: FontNames,
    /** Its name in the pages' resources */
    readonly resource: string,
  ) {
    const font = Font.load(baseFont);
    for (const cp of WIN_ANSI_CHARSET) {
      const width = font.getWidthOfGlyph(Encodings.WinAnsi.encodeUnicodeCodePoint(cp).name) ?? 0;
      this.widths.set(cp, width);
      if (cp < 256) this.latin1Widths[cp] = width;
    }
  }

  /** The width of drawable text (see {@link winAnsiText}) at a size: glyph widths, no kerning, as Tj draws it. */
  width(text: string, size: number): number {
    let units = 0;
    for (let i = 0; i < text.length; i += 1) {
      const unit = text.charCodeAt(i);
      if (unit < 256) units += this.latin1Widths[unit] as number;
      else {
        const cp = text.codePointAt(i) as number;
        units += this.widths.get(cp) ?? 0;
        if (cp > 0xffff) i += 1;
      }
    }
    return (units * size) / 1000;
  }

  /** Drawable text as a PDF hex string of its WinAnsi codes (nothing to escape). */
  static encode(text: string): string {
    let out = '<';
    for (let i = 0; i < text.length; i += 1) {
      const unit = text.charCodeAt(i);
      if (unit < 256) out += LATIN1_HEX[unit] ?? '3f';
      else {
        const cp = text.codePointAt(i) as number;
        out += WIN_ANSI_HEX.get(cp) ?? '3f';
        if (cp > 0xffff) i += 1;
      }
    }
    return `${out}>`;
  }
}

const HELVETICA = new StandardFont(FontNames.Helvetica, 'F1');
const HELVETICA_BOLD = new StandardFont(FontNames.HelveticaBold, 'F2');

/** A number in a content stream: at most two decimals, never an exponent (the page's values are small). */
function num(value: number): string {
  return String(Math.round(value * 100) / 100);
}

/**
 * Makes text drawable with a standard PDF font. The standard fonts are used with WinAnsi encoding, which holds the
 * French letters (é, è, ç, œ, …) but not everything an LGO may send: a character outside it is replaced by its
 * base letter when it has one (ő → o), else by '?', instead of making the whole document fail.
 */
export function winAnsiText(text: string, charset: ReadonlySet<number>): string {
  if (charset === WIN_ANSI_CHARSET && drawableAsIs(text)) return text;
  let out = '';
  for (const ch of text.normalize('NFC').replace(/[\t\r\n\u2028\u2029]+/g, ' ')) {
    const cp = ch.codePointAt(0) ?? 0;
    if (charset.has(cp)) {
      out += ch;
      continue;
    }
    const base = ch.normalize('NFD').replace(/[\u0300-\u036f]/g, '');
    out += base.length > 0 && [...base].every((c) => charset.has(c.codePointAt(0) ?? 0)) ? base : '?';
  }
  return out;
}

/** The code points below 256 WinAnsi draws, but the white space {@link winAnsiText} makes spaces of. */
const LATIN1_DRAWABLE = Uint8Array.from({ length: 256 }, (_, cp) =>
  WIN_ANSI_CHARSET.has(cp) && cp !== 9 && cp !== 10 && cp !== 13 ? 1 : 0,
);

/**
 * Whether text is already drawable as it is, which most of it is: characters below 256 only (such text is its own
 * NFC form: nothing there composes) and all drawable.
 */
function drawableAsIs(text: string): boolean {
  for (let i = 0; i < text.length; i += 1) {
    const unit = text.charCodeAt(i);
    if (unit >= 256 || LATIN1_DRAWABLE[unit] === 0) return false;
  }
  return true;
}

class Writer {
  private ops: string[] = [];
  private y = 0;
  /** Each page's content stream operators */
  readonly pages: string[][] = [];

  constructor(private readonly charset: ReadonlySet<number>) {
    this.newPage();
  }

  private newPage(): void {
    this.ops = [];
    this.pages.push(this.ops);
    this.y = PAGE.height - PAGE.margin;
  }

  private ensure(height: number): void {
    if (this.y - height < PAGE.margin + 20) this.newPage();
  }

  private drawText(line: string, x: number, y: number, size: number, font: StandardFont, gray = 0): void {
    this.ops.push(`BT ${gray} g /${font.resource} ${num(size)} Tf 1 0 0 1 ${num(x)} ${num(y)} Tm ${StandardFont.encode(line)} Tj ET`);
  }

  /**
   * Splits a paragraph into lines that fit the width, breaking words longer than a line. Widths are summed word by
   * word (measuring each candidate line again made long reviews quadratic); a small margin keeps the sum on the
   * safe side.
   */
  private wrap(text: string, font: StandardFont, size: number, width: number): string[] {
    const limit = width - size;
    const space = font.width(' ', size);
    const lines: string[] = [];
    let current = '';
    let currentWidth = 0;
    for (const word of text.split(' ').filter((w) => w !== '')) {
      let w = word;
      let ww = font.width(w, size);
      while (ww > limit) {
        let cut = Math.max(1, Math.floor((w.length * limit) / ww));
        while (cut > 1 && font.width(w.slice(0, cut), size) > limit) cut--;
        if (current) lines.push(current);
        current = '';
        currentWidth = 0;
        lines.push(w.slice(0, cut));
        w = w.slice(cut);
        ww = font.width(w, size);
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
    const font = options.bold ? HELVETICA_BOLD : HELVETICA;
    const indent = options.indent ?? 0;
    const text = winAnsiText(raw, this.charset);
    for (const line of this.wrap(text, font, size, PAGE.width - 2 * PAGE.margin - indent)) {
      this.ensure(size * LINE);
      this.y -= size * LINE;
      this.drawText(line, PAGE.margin + indent, this.y, size, font);
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
    this.ops.push(`0.4 G 0.5 w ${num(PAGE.margin)} ${num(this.y)} m ${num(PAGE.width - PAGE.margin)} ${num(this.y)} l S`);
    this.y -= 4;
  }

  bullets(items: string[], empty: string): void {
    if (items.length === 0) this.text(empty, { indent: 10 });
    for (const item of items) this.text(`• ${item}`, { indent: 10 });
  }

  footer(note: string): void {
    const total = this.pages.length;
    this.pages.forEach((ops, i) => {
      const text = winAnsiText(`${note} - page ${i + 1}/${total}`, this.charset);
      ops.push(
        `BT 0.3 g /${HELVETICA.resource} 8 Tf 1 0 0 1 ${num(PAGE.margin)} ${num(PAGE.margin - 20)} Tm ${StandardFont.encode(text)} Tj ET`,
      );
    });
  }
}

/** A PDF text string: UTF-16BE with its byte order mark, in hex (any character, nothing to escape). */
function textString(value: string): string {
  let out = '<FEFF';
  for (let i = 0; i < value.length; i += 1) out += value.charCodeAt(i).toString(16).padStart(4, '0');
  return `${out}>`;
}

/** A PDF date (ISO 32000-1 §7.9.4), in UTC. */
function pdfDate(at: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `(D:${at.getUTCFullYear()}${p(at.getUTCMonth() + 1)}${p(at.getUTCDate())}${p(at.getUTCHours())}${p(at.getUTCMinutes())}${p(at.getUTCSeconds())}Z)`;
}

/** A content stream, deflated with native zlib (its window sized to the stream: a page is a few KB). */
function flate(content: string): Buffer {
  const bytes = Buffer.from(content, 'latin1');
  const windowBits = Math.min(15, Math.max(9, Math.ceil(Math.log2(bytes.length + 262))));
  return deflateSync(bytes, { level: 6, windowBits, memLevel: Math.min(8, Math.max(1, windowBits - 7)) });
}

/**
 * Writes the file (PDF 1.7, ISO 32000-1): catalog, page tree, the two standard fonts (not embedded: every reader
 * has Helvetica), the document information, one page and one deflated content stream per page, the
 * cross-reference table. Objects are numbered in that order, so the same pages give the same bytes.
 */
function pdfFile(pages: readonly string[][], info: { title: string; lang: string; when: Date }): Buffer {
  const objects: (string | { dict: string; stream: Buffer })[] = [];
  const ref = (n: number) => `${n} 0 R`;
  const firstPage = 6;
  const pageRefs = pages.map((_, i) => ref(firstPage + 2 * i));
  objects.push(
    `<< /Type /Catalog /Pages ${ref(2)} /Lang ${textString(info.lang)} /ViewerPreferences << /DisplayDocTitle true >> >>`,
    `<< /Type /Pages /Kids [${pageRefs.join(' ')}] /Count ${pages.length} >>`,
    `<< /Type /Font /Subtype /Type1 /BaseFont /${HELVETICA.baseFont} /Encoding /WinAnsiEncoding >>`,
    `<< /Type /Font /Subtype /Type1 /BaseFont /${HELVETICA_BOLD.baseFont} /Encoding /WinAnsiEncoding >>`,
    `<< /Title ${textString(info.title)} /Creator ${textString('Passerelle')} /Producer ${textString('Passerelle')} ` +
      `/CreationDate ${pdfDate(info.when)} /ModDate ${pdfDate(info.when)} >>`,
  );
  pages.forEach((ops, i) => {
    objects.push(
      `<< /Type /Page /Parent ${ref(2)} /MediaBox [0 0 ${num(PAGE.width)} ${num(PAGE.height)}] ` +
        `/Resources << /Font << /${HELVETICA.resource} ${ref(3)} /${HELVETICA_BOLD.resource} ${ref(4)} >> >> /Contents ${ref(firstPage + 2 * i + 1)} >>`,
    );
    const stream = flate(ops.join('\n'));
    objects.push({ dict: `<< /Length ${stream.length} /Filter /FlateDecode >>`, stream });
  });

  // The comment of high bytes on line 2 tells transfer tools the file is binary (ISO 32000-1 §7.5.2).
  const chunks: Buffer[] = [Buffer.from('%PDF-1.7\n%\u00e2\u00e3\u00cf\u00d3\n', 'latin1')];
  let offset = chunks[0]!.length;
  const offsets: number[] = [];
  const push = (chunk: Buffer) => {
    chunks.push(chunk);
    offset += chunk.length;
  };
  objects.forEach((object, i) => {
    offsets.push(offset);
    if (typeof object === 'string') push(Buffer.from(`${i + 1} 0 obj\n${object}\nendobj\n`, 'latin1'));
    else {
      push(Buffer.from(`${i + 1} 0 obj\n${object.dict}\nstream\n`, 'latin1'));
      push(object.stream);
      push(Buffer.from('\nendstream\nendobj\n', 'latin1'));
    }
  });
  // Each cross-reference entry is exactly 20 bytes, end of line included.
  const xref = ['xref', `0 ${objects.length + 1}`, '0000000000 65535 f '];
  for (const at of offsets) xref.push(`${String(at).padStart(10, '0')} 00000 n `);
  const xrefAt = offset;
  push(
    Buffer.from(
      `${xref.join('\n')}\ntrailer\n<< /Size ${objects.length + 1} /Root ${ref(1)} /Info ${ref(5)} >>\nstartxref\n${xrefAt}\n%%EOF\n`,
      'latin1',
    ),
  );
  return Buffer.concat(chunks);
}

/** The review's title as the document shows it. */
export function reviewTitle(event: MedicationReviewEvent): string {
  return event.review.kind === 'ENTRETIEN_PHARMACEUTIQUE' ? "Compte rendu d'entretien pharmaceutique" : 'Bilan partagé de médication';
}

/**
 * Renders a medication review or pharmaceutical interview as a PDF a physician can read: the patient's identity with
 * the INS traits, the pharmacy, the pharmacist, the date and the whole review. Deterministic: dates inside the PDF
 * come from the event, so the same event gives the same bytes.
 *
 * Written directly (a few text lines and rules per page need no PDF library): pdf-lib with its JavaScript deflate
 * cost ~1.6 ms per document, most of it in building and serialising its object model; this writes the content
 * streams as text, deflates them with native zlib and lays out the file in one pass. Asynchronous as before, for
 * its callers.
 */
export async function renderReviewPdf(event: MedicationReviewEvent, version: number): Promise<Uint8Array> {
  const when = new Date(Math.floor(event.occurredAt / 1000) * 1000);
  const title = reviewTitle(event);
  const w = new Writer(WIN_ANSI_CHARSET);
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
  return Promise.resolve(pdfFile(w.pages, { title, lang: 'fr-FR', when }));
}
