/**
 * What -V prints, for every command (modprobe, insmod, rmmod, lsmod, modinfo and `modbundle`):
 * kmod's two lines, telling the truth. modbundle's commands are checked against Debian's kmod 30,
 * plus modprobe's weakdep from kmod 33, so "kmod version 30" is what scripts that parse the number
 * should see; the parenthesis says which program this really is and where it goes beyond 30. The
 * features are modbundle's own: it reads zstd, xz and gzip modules itself and parses PKCS#7
 * signatures (kmod's LIBCRYPTO). MODBUNDLE_VERSION follows package.json (a test checks).
 */
export const MODBUNDLE_VERSION = "0.1.0";
export const VERSION_TEXT = `kmod version 30 (modbundle ${MODBUNDLE_VERSION}, with weakdep from kmod 33)\n+ZSTD +XZ +ZLIB +LIBCRYPTO -EXPERIMENTAL\n`;
