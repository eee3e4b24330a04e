import { CLASS_UNIVERSAL, DerError, DerNode, elements, isUniversal } from "./der";

/**
 * Primitive ASN.1 values as OpenSSL 3's decoder accepts them (crypto/asn1/tasn_dec.c and the c2i
 * functions), so that a signature OpenSSL would refuse is refused here too and a field OpenSSL
 * would show is shown the same: INTEGERs without illegal padding, OBJECT IDENTIFIERs without
 * non-minimal subidentifiers, strings of BER pieces collected, ANY values checked by their tag,
 * and directory strings that must convert to UTF-8.
 */
export const TAG_BOOLEAN = 1;
export const TAG_INTEGER = 2;
export const TAG_BIT_STRING = 3;
export const TAG_OCTET_STRING = 4;
export const TAG_NULL = 5;
export const TAG_OID = 6;
export const TAG_ENUMERATED = 10;
export const TAG_UTF8_STRING = 12;
export const TAG_SEQUENCE = 16;
export const TAG_SET = 17;
export const TAG_UNIVERSAL_STRING = 28;
export const TAG_BMP_STRING = 30;

/** ASN1_MAX_STRING_NEST: how deep a constructed string may nest. */
const MAX_STRING_NEST = 5;

/** Types that must be primitive (ASN1_R_TYPE_NOT_PRIMITIVE). */
const PRIMITIVE_ONLY = new Set([TAG_NULL, TAG_BOOLEAN, TAG_OID, TAG_INTEGER, TAG_ENUMERATED]);

/**
 * ASN1_PRINTABLE's tags (B_ASN1_PRINTABLE through ASN1_tag2bit): the strings, BIT STRING, SEQUENCE
 * and the tags OpenSSL maps to B_ASN1_UNKNOWN.
 */
const PRINTABLE_TAGS = new Set([3, 7, 8, 9, 11, 12, 13, 14, 15, 16, 18, 19, 20, 22, 28, 29, 30]);

function fail(node: DerNode, what: string, reason: string): never {
  throw new DerError(`${what} at offset ${node.start}: ${reason}`);
}

/** A universal element of this tag, or a DerError naming what was expected. */
export function expectTag(node: DerNode | undefined, tag: number, what: string): DerNode {
  if (!node) throw new DerError(`${what}: missing`);
  if (!isUniversal(node, tag)) fail(node, what, `expected universal tag ${tag}, found class ${node.cls} tag ${node.tag}`);
  return node;
}

/** A SEQUENCE's fields (a SEQUENCE must be constructed). */
export function sequenceFields(data: Buffer, node: DerNode | undefined, what: string): DerNode[] {
  const seq = expectTag(node, TAG_SEQUENCE, what);
  if (!seq.constructed) fail(seq, what, "SEQUENCE not constructed");
  return elements(data, seq);
}

/**
 * asn1_collect: a string's bytes; a constructed string is the concatenation of its pieces, whose
 * tags are not looked at, nesting at most MAX_STRING_NEST deep.
 */
export function collectString(data: Buffer, node: DerNode, depth = 0): Buffer {
  if (!node.constructed) return data.subarray(node.contentStart, node.contentEnd);
  if (depth >= MAX_STRING_NEST) fail(node, "string", "nested too deep");
  return Buffer.concat(elements(data, node).map((piece) => collectString(data, piece, depth + 1)));
}

/** c2i_ASN1_INTEGER's checks, then the magnitude as BN_bn2bin writes it (no leading zeros). */
export function integerMagnitude(data: Buffer, node: DerNode | undefined, what: string): Buffer {
  const int = expectTag(node, TAG_INTEGER, what);
  if (int.constructed) fail(int, what, "constructed INTEGER");
  return checkedMagnitude(int, data.subarray(int.contentStart, int.contentEnd), what);
}

function checkedMagnitude(node: DerNode, bytes: Buffer, what: string): Buffer {
  if (bytes.length === 0) fail(node, what, "empty INTEGER");
  const negative = (bytes[0] & 0x80) !== 0;
  // A leading 0x00, or 0xFF not followed by all zeros, is padding; it must be needed.
  const padded = bytes.length > 1 && (bytes[0] === 0 || (bytes[0] === 0xff && bytes.subarray(1).some((b) => b !== 0)));
  if (padded && negative === ((bytes[1] & 0x80) !== 0)) fail(node, what, "INTEGER with illegal padding");
  let value = BigInt(`0x${bytes.toString("hex")}`);
  if (negative) value = (1n << BigInt(bytes.length * 8)) - value;
  if (value === 0n) return Buffer.alloc(0);
  const hex = value.toString(16);
  return Buffer.from(hex.length % 2 ? `0${hex}` : hex, "hex");
}

/** c2i_ASN1_OBJECT's checks, then the dotted form. */
export function objectIdentifier(data: Buffer, node: DerNode | undefined, what: string): string {
  const oid = expectTag(node, TAG_OID, what);
  if (oid.constructed) fail(oid, what, "constructed OBJECT IDENTIFIER");
  return oidToString(data.subarray(oid.contentStart, oid.contentEnd));
}

export function oidToString(bytes: Buffer): string {
  if (bytes.length === 0 || bytes[bytes.length - 1] & 0x80) throw new DerError("invalid OBJECT IDENTIFIER encoding");
  const arcs: bigint[] = [];
  let value = 0n;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === 0x80 && (i === 0 || (bytes[i - 1] & 0x80) === 0)) throw new DerError("OBJECT IDENTIFIER subidentifier with a leading 0x80");
    value = (value << 7n) | BigInt(bytes[i] & 0x7f);
    if ((bytes[i] & 0x80) === 0) {
      arcs.push(value);
      value = 0n;
    }
  }
  const first = arcs[0] < 80n ? arcs[0] / 40n : 2n;
  return [first, arcs[0] - first * 40n, ...arcs.slice(1)].join(".");
}

/** An OCTET STRING's bytes (BER pieces collected). */
export function octetString(data: Buffer, node: DerNode | undefined, what: string): Buffer {
  return collectString(data, expectTag(node, TAG_OCTET_STRING, what));
}

/**
 * asn1_ex_c2i's checks of a value of universal type `tag` and its bytes as an ASN1_STRING holds
 * them (a BIT STRING without its unused-bits octet, the unused bits cleared).
 */
function checkedValue(node: DerNode, tag: number, bytes: Buffer, what: string): Buffer {
  switch (tag) {
    case TAG_OID:
      oidToString(bytes);
      return bytes;
    case TAG_NULL:
      if (bytes.length !== 0) fail(node, what, "NULL with contents");
      return bytes;
    case TAG_BOOLEAN:
      if (bytes.length !== 1) fail(node, what, "BOOLEAN not of one octet");
      return bytes;
    case TAG_INTEGER:
    case TAG_ENUMERATED:
      checkedMagnitude(node, bytes, what);
      return bytes;
    case TAG_BIT_STRING: {
      if (bytes.length < 1 || bytes[0] > 7) fail(node, what, "bad BIT STRING");
      const bits = Buffer.from(bytes.subarray(1));
      if (bits.length > 0) bits[bits.length - 1] &= 0xff << bytes[0];
      return bits;
    }
    case TAG_BMP_STRING:
      if (bytes.length % 2) fail(node, what, "BMPString of odd length");
      return bytes;
    case TAG_UNIVERSAL_STRING:
      if (bytes.length % 4) fail(node, what, "UniversalString length not a multiple of 4");
      return bytes;
    default:
      return bytes;
  }
}

/** A universal value as asn1_d2i_ex_primitive reads it: SEQUENCE and SET kept whole, strings collected. */
function universalValue(data: Buffer, node: DerNode, what: string): Buffer {
  if (node.tag === TAG_SEQUENCE || node.tag === TAG_SET) {
    if (!node.constructed) fail(node, what, "SEQUENCE or SET not constructed");
    return data.subarray(node.start, node.end);
  }
  if (node.constructed && PRIMITIVE_ONLY.has(node.tag)) fail(node, what, "type must be primitive");
  return checkedValue(node, node.tag, collectString(data, node), what);
}

/** ASN1_ANY: any universal value that decodes, or anything of another class (kept whole). */
export function checkAny(data: Buffer, node: DerNode, what: string): void {
  // Tag 0 with contents is accepted as a value; bare end-of-contents octets never get here (elements()).
  if (node.cls !== CLASS_UNIVERSAL) return;
  universalValue(data, node, what);
}

export interface DirectoryString {
  readonly tag: number;
  /** The ASN1_STRING data (what OpenSSL hands out as the entry's text). */
  readonly bytes: Buffer;
}

/**
 * ASN1_PRINTABLE (a name entry's value): a universal string type, BIT STRING or SEQUENCE; then
 * x509_name_canon converts the text types to UTF-8, and a value that does not convert makes the
 * whole name, and so the signature, unreadable.
 */
export function directoryString(data: Buffer, node: DerNode, what: string): DirectoryString {
  if (node.cls !== CLASS_UNIVERSAL) fail(node, what, "not universal");
  if (!PRINTABLE_TAGS.has(node.tag)) fail(node, what, `tag ${node.tag} not allowed`);
  const bytes = universalValue(data, node, what);
  if (!convertsToUtf8(node.tag, bytes)) fail(node, what, "does not convert to UTF-8");
  return { tag: node.tag, bytes };
}

const STRICT_UTF8 = new TextDecoder("utf-8", { fatal: true });

/** ASN1_STRING_to_UTF8 of the types x509_name_canon converts (ASN1_MASK_CANON); others are copied. */
function convertsToUtf8(tag: number, bytes: Buffer): boolean {
  const valid = (c: number): boolean => c <= 0x10ffff && (c < 0xd800 || c > 0xdfff);
  switch (tag) {
    case TAG_UTF8_STRING:
      try {
        STRICT_UTF8.decode(bytes);
        return true;
      } catch {
        return false;
      }
    case TAG_BMP_STRING:
      for (let i = 0; i + 1 < bytes.length; i += 2) if (!valid(bytes.readUInt16BE(i))) return false;
      return true;
    case TAG_UNIVERSAL_STRING:
      for (let i = 0; i + 3 < bytes.length; i += 4) if (!valid(bytes.readUInt32BE(i))) return false;
      return true;
    default:
      return true;
  }
}
