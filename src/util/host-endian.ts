/**
 * The byte order of the machine running us. Tables in a file's own byte order can be viewed in
 * place as 32-bit words only when it is this one.
 */
export const HOST_LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;
