import { XdmError } from './errors';

/** An element of the tree written by {@link writeXml}: children are written in the order given. */
export interface XmlElement {
  name: string;
  attributes?: Record<string, string | number | undefined>;
  children?: XmlElement[];
  text?: string;
}

// XML 1.0 Char production: anything else (NUL, most C0 controls, lone surrogates, U+FFFE/U+FFFF) cannot be
// written at all, escaped or not.
const NOT_XML_CHAR = /[^\u0009\u000A\u000D\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

function checkChars(value: string): void {
  if (NOT_XML_CHAR.test(value)) {
    throw new XdmError('XDM_INVALID_XML_CHARACTER', 'a metadata value holds a character that XML 1.0 cannot carry');
  }
}

/** Escapes text content: `&`, `<` and `>` (the last for `]]>`). */
export function escapeText(value: string): string {
  checkChars(value);
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Escapes an attribute value written between double quotes; also keeps tabs and newlines as written. */
export function escapeAttribute(value: string): string {
  checkChars(value);
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/\t/g, '&#9;')
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;');
}

function writeElement(element: XmlElement, depth: number, out: string[]): void {
  const indent = '  '.repeat(depth);
  let open = `${indent}<${element.name}`;
  for (const [key, value] of Object.entries(element.attributes ?? {})) {
    if (value !== undefined) open += ` ${key}="${escapeAttribute(String(value))}"`;
  }
  const children = element.children ?? [];
  if (children.length === 0 && element.text === undefined) {
    out.push(`${open}/>`);
  } else if (children.length === 0) {
    out.push(`${open}>${escapeText(element.text ?? '')}</${element.name}>`);
  } else {
    out.push(`${open}>`);
    for (const child of children) writeElement(child, depth + 1, out);
    out.push(`${indent}</${element.name}>`);
  }
}

/** Writes an XML document (UTF-8 declaration, two-space indentation, `\n` line ends), escaping every value. */
export function writeXml(root: XmlElement): string {
  const out = ['<?xml version="1.0" encoding="UTF-8"?>'];
  writeElement(root, 0, out);
  return `${out.join('\n')}\n`;
}
