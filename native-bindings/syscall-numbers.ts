import { KernelError } from "../src/errors";
import { errnoNumber } from "../src/util/errno";

/** The system call numbers modbundle uses, per architecture (the kernel's own tables). */
export interface SyscallNumbers {
  readonly initModule: number;
  readonly deleteModule: number;
  readonly finitModule: number;
  readonly memfdCreate: number;
}

/** The asm-generic table, shared by the architectures that joined Linux after 2012. */
const GENERIC: SyscallNumbers = { initModule: 105, deleteModule: 106, finitModule: 273, memfdCreate: 279 };

/** By process.arch; each row from the kernel's syscall table for that architecture. */
const NUMBERS: Readonly<Record<string, SyscallNumbers>> = {
  x64: { initModule: 175, deleteModule: 176, finitModule: 313, memfdCreate: 319 },
  arm64: GENERIC,
  riscv64: GENERIC,
  loong64: GENERIC,
  ia32: { initModule: 128, deleteModule: 129, finitModule: 350, memfdCreate: 356 },
  arm: { initModule: 128, deleteModule: 129, finitModule: 379, memfdCreate: 385 },
  ppc64: { initModule: 128, deleteModule: 129, finitModule: 353, memfdCreate: 360 },
  s390x: { initModule: 128, deleteModule: 129, finitModule: 344, memfdCreate: 350 },
};

export function syscallNumbers(arch: string = process.arch): SyscallNumbers {
  const numbers = NUMBERS[arch];
  if (!numbers) {
    throw new KernelError("ENOSYS", errnoNumber("ENOSYS") ?? 38, `module system calls are not known for the ${arch} architecture (known: ${Object.keys(NUMBERS).join(", ")})`);
  }
  return numbers;
}
