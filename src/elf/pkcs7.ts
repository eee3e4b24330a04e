import { DerError, DerNode, elements, isContext, readNode } from "./der";
import { TAG_SEQUENCE, TAG_SET, checkAny, directoryString, expectTag, integerMagnitude, objectIdentifier, octetString, sequenceFields } from "./der-values";

/**
 * The fields kmod's modinfo shows from a PKCS#7 module signature, taken as libkmod-signature.c
 * takes them through OpenSSL (fill_pkcs7): from the first SignerInfo of the SignedData, the
 * issuer's commonName, the serial number, the digest algorithm and the encrypted digest. Nothing
 * is verified, as nothing is in kmod. The message is decoded with OpenSSL's rules (PKCS7 and
 * X509_NAME templates, der-values.ts for the values): what d2i_PKCS7 would refuse gives undefined,
 * and modinfo then shows no signature. Certificates and CRLs carried in the message are skipped
 * unchecked; module signatures carry none.
 */
export interface Pkcs7Signer {
  /** The issuer's commonName (or, as OpenSSL's loop leaves it, the last name entry), up to a NUL. */
  readonly signer: Buffer;
  /** The serial number's magnitude, without leading zero bytes (BN_bn2bin). */
  readonly keyId: Buffer;
  /** kmod's name of the digest algorithm; undefined when kmod does not know it. */
  readonly hashAlgo: string | undefined;
  readonly signature: Buffer;
}

const OID_DATA = "1.2.840.113549.1.7.1";
const OID_SIGNED_DATA = "1.2.840.113549.1.7.2";
const OID_COMMON_NAME = "2.5.4.3";
/** enveloped, signedAndEnveloped, digested, encrypted. */
const PKCS7_OTHER_TYPES = new Set(["1.2.840.113549.1.7.3", "1.2.840.113549.1.7.4", "1.2.840.113549.1.7.5", "1.2.840.113549.1.7.6"]);

/** obj_to_hash_algo: the digests kmod names. */
const HASH_NAMES: Readonly<Record<string, string>> = {
  "1.2.840.113549.2.4": "md4",
  "1.2.840.113549.2.5": "md5",
  "1.3.14.3.2.26": "sha1",
  "1.3.36.3.2.1": "rmd160",
  "2.16.840.1.101.3.4.2.1": "sha256",
  "2.16.840.1.101.3.4.2.2": "sha384",
  "2.16.840.1.101.3.4.2.3": "sha512",
  "2.16.840.1.101.3.4.2.4": "sha224",
  "1.2.156.10197.1.401": "sm3",
};

/** SET OF / SEQUENCE OF: OpenSSL does not look at the constructed bit of these. */
function setOf(data: Buffer, node: DerNode | undefined, what: string): DerNode[] {
  return elements(data, expectTag(node, TAG_SET, what));
}

/** [n] EXPLICIT: constructed, holding exactly one element. */
function explicit(data: Buffer, node: DerNode, what: string): DerNode {
  if (!node.constructed) throw new DerError(`${what}: explicit tag not constructed`);
  const inner = elements(data, node);
  if (inner.length !== 1) throw new DerError(`${what}: explicit tag holding ${inner.length} elements`);
  return inner[0];
}

/** X509_ALGOR: the algorithm's OID (its parameters must decode as ANY). */
function algorithm(data: Buffer, node: DerNode | undefined, what: string): string {
  const [oid, parameters, extra] = sequenceFields(data, node, what);
  if (extra) throw new DerError(`${what}: more than an algorithm and its parameters`);
  const name = objectIdentifier(data, oid, what);
  if (parameters) checkAny(data, parameters, `${what} parameters`);
  return name;
}

/** X509_ATTRIBUTE: an OID and a SET OF ANY. */
function checkAttributes(data: Buffer, node: DerNode, what: string): void {
  for (const attribute of elements(data, node)) {
    const [type, values, extra] = sequenceFields(data, attribute, what);
    if (extra) throw new DerError(`${what}: more than a type and its values`);
    objectIdentifier(data, type, what);
    for (const value of setOf(data, values, what)) checkAny(data, value, what);
  }
}

/**
 * A ContentInfo inside the SignedData: data is an OCTET STRING, a SignedData is checked as one, the
 * other PKCS#7 types must at least be SEQUENCEs (their fields are not checked), and content of a
 * type PKCS#7 does not define is ANY.
 */
function checkContentInfo(data: Buffer, node: DerNode | undefined): void {
  const [type, content, extra] = sequenceFields(data, node, "contentInfo");
  if (extra) throw new DerError("contentInfo: unexpected fields");
  const oid = objectIdentifier(data, type, "contentInfo type");
  if (!content) return;
  if (!isContext(content, 0)) throw new DerError("contentInfo: content not [0]");
  const inner = explicit(data, content, "contentInfo content");
  if (oid === OID_DATA) octetString(data, inner, "contentInfo data");
  else if (oid === OID_SIGNED_DATA) signerInfos(data, inner);
  else if (PKCS7_OTHER_TYPES.has(oid)) sequenceFields(data, inner, "contentInfo content");
  else checkAny(data, inner, "contentInfo content");
}

/** PKCS7_SIGNED's fields, checked; its signerInfos. */
function signerInfos(data: Buffer, node: DerNode): DerNode[] {
  const fields = sequenceFields(data, node, "SignedData");
  let i = 0;
  integerMagnitude(data, fields[i++], "SignedData version");
  for (const alg of setOf(data, fields[i++], "digestAlgorithms")) algorithm(data, alg, "digestAlgorithm");
  checkContentInfo(data, fields[i++]);
  if (fields[i] && isContext(fields[i], 0)) i++; // certificates, unchecked
  if (fields[i] && isContext(fields[i], 1)) i++; // crls, unchecked
  const infos = setOf(data, fields[i++], "signerInfos");
  if (i !== fields.length) throw new DerError("SignedData: unexpected fields after signerInfos");
  // d2i decodes every SignerInfo; kmod then uses the first.
  return infos;
}

/**
 * The issuer Name (SEQUENCE OF SET OF entries), every entry decoded and converted as
 * x509_name_canon does; then x509_name_to_str's pick: the first commonName, else the last entry.
 */
function issuerName(data: Buffer, node: DerNode | undefined): Buffer {
  let last: Buffer | undefined;
  let commonName: Buffer | undefined;
  for (const rdn of elements(data, expectTag(node, TAG_SEQUENCE, "issuer"))) {
    for (const entry of setOf(data, rdn, "issuer RDN")) {
      const [type, value, extra] = sequenceFields(data, entry, "issuer entry");
      if (!value || extra) throw new DerError("issuer entry: not a type and a value");
      const oid = objectIdentifier(data, type, "issuer entry type");
      last = directoryString(data, value, "issuer entry value").bytes;
      if (oid === OID_COMMON_NAME && commonName === undefined) commonName = last;
    }
  }
  const chosen = commonName ?? last ?? Buffer.alloc(0);
  const nul = chosen.indexOf(0);
  return nul < 0 ? chosen : chosen.subarray(0, nul);
}

function readSignerInfo(data: Buffer, node: DerNode): Pkcs7Signer {
  const fields = sequenceFields(data, node, "SignerInfo");
  let i = 0;
  integerMagnitude(data, fields[i++], "SignerInfo version");
  const [issuer, serial, extra] = sequenceFields(data, fields[i++], "issuerAndSerialNumber");
  if (extra) throw new DerError("issuerAndSerialNumber: unexpected fields");
  const signer = issuerName(data, issuer);
  const keyId = integerMagnitude(data, serial, "serialNumber");
  const hashOid = algorithm(data, fields[i++], "digestAlgorithm");
  if (fields[i] && isContext(fields[i], 0)) checkAttributes(data, fields[i++], "authenticatedAttributes");
  algorithm(data, fields[i++], "digestEncryptionAlgorithm");
  const signature = octetString(data, fields[i++], "encryptedDigest");
  if (fields[i] && isContext(fields[i], 1)) checkAttributes(data, fields[i++], "unauthenticatedAttributes");
  if (i !== fields.length) throw new DerError("SignerInfo: unexpected fields");
  return { signer, keyId, hashAlgo: HASH_NAMES[hashOid], signature };
}

export function parsePkcs7Signer(data: Buffer): Pkcs7Signer | undefined {
  try {
    const [type, content, extra] = sequenceFields(data, readNode(data, 0, data.length), "ContentInfo");
    if (extra) throw new DerError("ContentInfo: unexpected fields");
    // PKCS7_get_signer_info answers only for a SignedData with content.
    if (objectIdentifier(data, type, "contentType") !== OID_SIGNED_DATA || !content || !isContext(content, 0)) return undefined;
    const infos = signerInfos(data, explicit(data, content, "SignedData"));
    const parsed = infos.map((info) => readSignerInfo(data, info));
    return parsed[0];
  } catch (error) {
    if (error instanceof DerError) return undefined;
    throw error;
  }
}
