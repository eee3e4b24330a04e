/**
 * What every kmod command prints for -V: kmod's two lines, naming modbundle. Scripts that parse
 * "kmod version N" get the kmod release whose behaviour modbundle follows; the features are what
 * modbundle itself supports (it reads zstd, xz and gzip modules and parses PKCS#7 signatures).
 */
export const VERSION_TEXT = "kmod version 34 (modbundle 0.1.0)\n+ZSTD +XZ +ZLIB +LIBCRYPTO -EXPERIMENTAL\n";
