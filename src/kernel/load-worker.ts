import { parentPort } from "node:worker_threads";
import { KernelError } from "../errors";
import { finitModule, preload } from "../../native-bindings/syscalls";
import { FinitRequest, ThreadMessage } from "./load-protocol";

/**
 * A loading thread (worker_threads): loads ffi-napi for itself, then calls finit_module
 * synchronously for each request and answers with the errno read on this thread right after the
 * call (native-bindings/syscalls.ts). Built as its own file, dist/kernel/load-worker.js.
 */
const port = parentPort;
if (port) {
  const send = (message: ThreadMessage): void => port.postMessage(message);
  try {
    preload();
    send({ kind: "ready" });
  } catch (error) {
    send({ kind: "broken", message: error instanceof Error ? error.message : String(error) });
  }
  port.on("message", (request: FinitRequest) => {
    try {
      finitModule(request.fd, request.params, request.flags);
      send({ kind: "done", id: request.id, errno: 0, message: "" });
    } catch (error) {
      if (error instanceof KernelError) send({ kind: "done", id: request.id, errno: error.errno, message: error.message });
      else send({ kind: "done", id: request.id, errno: -1, message: error instanceof Error ? error.message : String(error) });
    }
  });
}
