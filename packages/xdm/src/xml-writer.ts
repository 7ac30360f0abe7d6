import { XdmError } from './errors';

function invalidCharacter(): never {
  throw new XdmError('XDM_INVALID_XML_CHARACTER', 'a metadata value holds a character that XML 1.0 cannot carry');
}

/**
 * One pass over the value: checks every character against the XML 1.0 Char production (NUL, most C0 controls,
 * lone surrogates, U+FFFE/U+FFFF cannot be written at all, escaped or not) and escapes the markup characters;
 * in an attribute also quotes, tabs and line ends, which attribute-value normalisation would otherwise turn into
 * spaces. A value with nothing to escape (the usual case) is returned as is, without a copy.
 */
function escape(value: string, attribute: boolean): string {
  let out = '';
  let last = 0;
  for (let i = 0; i < value.length; i += 1) {
    const c = value.charCodeAt(i);
    let entity: string | undefined;
    if (c < 0x20) {
      if (c === 0x09) entity = attribute ? '&#9;' : undefined;
      else if (c === 0x0a) entity = attribute ? '&#10;' : undefined;
      else if (c === 0x0d) entity = attribute ? '&#13;' : undefined;
      else invalidCharacter();
    } else if (c === 0x26) entity = '&amp;';
    else if (c === 0x3c) entity = '&lt;';
    else if (c === 0x3e) entity = '&gt;';
    else if (c === 0x22) entity = attribute ? '&quot;' : undefined;
    else if (c === 0x27) entity = attribute ? '&apos;' : undefined;
    else if (c >= 0xd800) {
      if (c <= 0xdbff) {
        const next = value.charCodeAt(i + 1);
        if (!(next >= 0xdc00 && next <= 0xdfff)) invalidCharacter();
        i += 1; // a valid pair: U+10000..U+10FFFF
      } else if (c <= 0xdfff || c === 0xfffe || c === 0xffff) invalidCharacter();
    }
    if (entity !== undefined) {
      out += value.slice(last, i) + entity;
      last = i + 1;
    }
  }
  return last === 0 ? value : out + value.slice(last);
}

/** Escapes text content: `&`, `<` and `>` (the last for `]]>`). */
export function escapeText(value: string): string {
  return escape(value, false);
}

/** Escapes an attribute value written between double quotes; also keeps tabs and newlines as written. */
export function escapeAttribute(value: string): string {
  return escape(value, true);
}

export const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>';
