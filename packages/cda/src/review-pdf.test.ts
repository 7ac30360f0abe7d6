import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StandardFonts, PDFDocument } from 'pdf-lib';
import { runTool } from '../../../test/support/tools';
import { renderReviewPdf, WIN_ANSI_CHARSET, winAnsiText } from './review-pdf';
import { interviewEvent, medicationReviewEvent } from '../../../test/support/sample-events';

describe('winAnsiText', () => {
  it('keeps French text and replaces what WinAnsi cannot encode', async () => {
    const doc = await PDFDocument.create();
    const font = doc.embedStandardFont(StandardFonts.Helvetica);
    const charset = new Set(font.getCharacterSet());
    expect(winAnsiText("Élodie Cœur-d'Œil, çà et là : « ŒUF » – 12 €", charset)).toBe("Élodie Cœur-d'Œil, çà et là : « ŒUF » – 12 €");
    expect(winAnsiText('Ő ő Ŀ ǅ', charset)).toBe('O o ? ?');
    expect(winAnsiText('漢字 😀', charset)).toBe('?? ?');
    expect(winAnsiText('a\tb\nc\r\nd', charset)).toBe('a b c d');
    // Everything that remains can be drawn.
    expect(() => font.encodeText(winAnsiText('Zoë 漢 Ő \u0001 😀', charset))).not.toThrow();
    // The renderer's own character set is pdf-lib's for the standard fonts.
    expect([...WIN_ANSI_CHARSET].sort((x, y) => x - y)).toEqual([...charset].sort((x, y) => x - y));
  });
});

describe('renderReviewPdf, read by independent tools', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'review-pdf-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is a well-formed PDF (qpdf --check: structure, cross-references, deflated streams)', async () => {
    const event = interviewEvent();
    event.review.findings = Array.from({ length: 80 }, (_, i) => `Constat ${i} : ${'texte '.repeat(20)}`);
    for (const [name, pdf] of [
      ['review.pdf', await renderReviewPdf(medicationReviewEvent(), 1)],
      ['long.pdf', await renderReviewPdf(event, 2)],
    ] as const) {
      const path = join(dir, name);
      writeFileSync(path, pdf);
      const check = runTool('qpdf', ['--check', path]);
      expect(check.status).toBe(0);
      expect(check.stdout).toContain('No syntax or stream encoding errors found');
    }
  });

  it('reads back as the text it was written with: identity, pharmacy, review, escaped names, the page footer', async () => {
    const event = medicationReviewEvent();
    event.patient.birthFamilyName = '</family> (Œil) \\ Ő';
    const path = join(dir, 'text.pdf');
    writeFileSync(path, await renderReviewPdf(event, 1));
    const text = runTool('pdftotext', ['-enc', 'UTF-8', path, '-']).stdout;
    expect(text).toContain('Bilan partagé de médication');
    expect(text).toContain('Nom de naissance : </family> (Œil) \\ O');
    expect(text).toContain(`INS-NIR de test : ${event.patient.ins.matricule}`);
    expect(text).toContain(`FINESS : ${event.pharmacy.finess}`);
    for (const m of event.review.medications) expect(text).toContain(m.label);
    expect(text).toContain('page 1/1');
  });
});

describe('renderReviewPdf', () => {
  it('renders a one-page PDF for the sample review, the same bytes each time', async () => {
    const a = await renderReviewPdf(medicationReviewEvent(), 1);
    const b = await renderReviewPdf(medicationReviewEvent(), 1);
    expect(Buffer.from(a.slice(0, 5)).toString('latin1')).toBe('%PDF-');
    expect(Buffer.compare(Buffer.from(a), Buffer.from(b))).toBe(0);
    const doc = await PDFDocument.load(a);
    expect(doc.getPageCount()).toBe(1);
    expect(doc.getTitle()).toBe('Bilan partagé de médication');
    expect(doc.getCreationDate()?.getTime()).toBe(Math.floor(medicationReviewEvent().occurredAt / 1000) * 1000);
  });

  it('flows a long review onto several pages and survives unencodable text and very long words', async () => {
    const event = interviewEvent();
    event.review.findings = Array.from({ length: 120 }, (_, i) => `Constat ${i} : ${'très long texte '.repeat(8)} 漢字 😀`);
    event.review.recommendations = ['x'.repeat(2000)];
    event.patient.birthFamilyName = '</family><x> Ő';
    const doc = await PDFDocument.load(await renderReviewPdf(event, 2));
    expect(doc.getPageCount()).toBeGreaterThan(2);
    expect(doc.getTitle()).toBe("Compte rendu d'entretien pharmaceutique");
  });
});
