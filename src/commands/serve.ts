import { writeOut } from "../cli-kit/output";
import { startRangeServer } from "../io/range-server";

/**
 * `modbundle serve [--port N] [--bind ADDR] BUNDLE...`: serves the bundles over HTTP with byte
 * ranges until SIGINT or SIGTERM, printing the URL of each (src/io/range-server.ts).
 */
export async function run(options: { readonly files: readonly string[]; readonly port: number; readonly bind: string }): Promise<number> {
  const running = await startRangeServer({ files: options.files, port: options.port, bind: options.bind });
  writeOut(running.urls.map((url) => `${url}\n`).join(""));
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  await running.close();
  return 0;
}
