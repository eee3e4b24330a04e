import { Kernel } from "./kernel";
import { FakeKernel } from "./fake-kernel";
import { RealKernel } from "./real-kernel";

/**
 * The kernel a command talks to: the real one, or, when $MODBUNDLE_FAKE_KERNEL names a state
 * file, a fake one whose state lives in that file (so that the CLI itself can be tested without
 * touching the kernel of the machine running the tests).
 */
export function createKernel(env: NodeJS.ProcessEnv): Kernel {
  const fakeState = env.MODBUNDLE_FAKE_KERNEL;
  if (fakeState) return FakeKernel.persistent(fakeState);
  return new RealKernel();
}
