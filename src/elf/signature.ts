import { parsePkcs7Signer } from "./pkcs7";

/**
 * The signature a module carries after its ELF image (the kernel's scripts/sign-file):
 *
 *   [ module ][ signer's name ][ key identifier ][ signature data ][ struct module_signature ][ magic ]
 *
 * struct module_signature is 12 bytes: algo, hash, id_type, signer_len, key_id_len, 3 bytes of
 * padding, and sig_len as a big-endian 32-bit number. This reads it as libkmod-signature.c does
 * (kmod_module_signature_info): the same checks, the same fields, nothing verified.
 */
export const SIGNATURE_MAGIC = Buffer.from("~Module signature appended~\n", "latin1");
export const MODULE_SIGNATURE_SIZE = 12;

const PKEY_ALGOS = ["DSA", "RSA"];
const PKEY_HASH_ALGOS = ["md4", "md5", "sha1", "rmd160", "sha256", "sha384", "sha512", "sha224", "sm3"];
const PKEY_ID_TYPES = ["PGP", "X509", "PKCS#7"];
const PKEY_ID_PKCS7 = 2;

export interface ModuleSignatureHeader {
  readonly algo: number;
  readonly hash: number;
  readonly idType: number;
  readonly signerLength: number;
  readonly keyIdLength: number;
  readonly signatureLength: number;
  /** Where struct module_signature starts: the signed data, signer, key id and signature lie before. */
  readonly offset: number;
}

export interface SignatureInfo {
  /** "PGP", "X509" or "PKCS#7". */
  readonly idType: string;
  /** "DSA" or "RSA" for the trailer's own fields; kmod does not show it. */
  readonly algo: string | undefined;
  readonly signer: Buffer;
  readonly keyId: Buffer;
  readonly hashAlgo: string;
  readonly signature: Buffer;
}

/** struct module_signature before the magic, or undefined when there is none that kmod accepts. */
export function readSignatureHeader(data: Buffer): ModuleSignatureHeader | undefined {
  if (data.length < SIGNATURE_MAGIC.length) return undefined;
  const magicAt = data.length - SIGNATURE_MAGIC.length;
  if (!data.subarray(magicAt).equals(SIGNATURE_MAGIC)) return undefined;
  if (magicAt < MODULE_SIGNATURE_SIZE) return undefined;
  const offset = magicAt - MODULE_SIGNATURE_SIZE;
  const header = {
    algo: data[offset],
    hash: data[offset + 1],
    idType: data[offset + 2],
    signerLength: data[offset + 3],
    keyIdLength: data[offset + 4],
    signatureLength: data.readUInt32BE(offset + 8),
    offset,
  };
  if (header.algo >= PKEY_ALGOS.length || header.hash >= PKEY_HASH_ALGOS.length || header.idType >= PKEY_ID_TYPES.length) return undefined;
  if (header.signatureLength === 0 || offset < header.signerLength + header.keyIdLength + header.signatureLength) return undefined;
  return header;
}

/** What modinfo shows of a module's signature (decompressed bytes), or undefined. */
export function readSignatureInfo(data: Buffer): SignatureInfo | undefined {
  const header = readSignatureHeader(data);
  if (!header) return undefined;
  const signatureAt = header.offset - header.signatureLength;
  const signatureBytes = data.subarray(signatureAt, header.offset);
  if (header.idType === PKEY_ID_PKCS7) {
    // The trailer's signer and key id lengths are ignored: they are inside the PKCS#7 message.
    const pkcs7 = parsePkcs7Signer(signatureBytes);
    // An unknown digest is an error in fill_pkcs7 (the table lookup it guards would be out of bounds).
    if (!pkcs7 || pkcs7.hashAlgo === undefined) return undefined;
    return { idType: PKEY_ID_TYPES[header.idType], algo: undefined, signer: pkcs7.signer, keyId: pkcs7.keyId, hashAlgo: pkcs7.hashAlgo, signature: pkcs7.signature };
  }
  const keyIdAt = signatureAt - header.keyIdLength;
  const signerAt = keyIdAt - header.signerLength;
  return {
    idType: PKEY_ID_TYPES[header.idType],
    algo: PKEY_ALGOS[header.algo],
    signer: data.subarray(signerAt, keyIdAt),
    keyId: data.subarray(keyIdAt, signatureAt),
    hashAlgo: PKEY_HASH_ALGOS[header.hash],
    signature: signatureBytes,
  };
}
