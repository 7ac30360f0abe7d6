import { StandardFonts, PDFDocument } from 'pdf-lib';
import { renderReviewPdf, winAnsiText } from './review-pdf';
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
