import fs = require("node:fs");
import path = require("node:path");

/**
 * The devices' modalias strings under ROOT/sys/devices, sorted, each once. Only real directories
 * are walked: sysfs is full of symbolic links back up the tree (subsystem, driver, device, port),
 * which would loop. A modalias that cannot be read (a device going away) is skipped.
 */
export function readModaliases(root: string): string[] {
  const found = new Set<string>();
  const walk = (dir: string): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else if (entry.name === "modalias" && entry.isFile()) {
        let text: string;
        try {
          text = fs.readFileSync(file, "latin1");
        } catch {
          continue;
        }
        const alias = text.split("\n")[0];
        if (alias !== "") found.add(alias);
      }
    }
  };
  walk(path.join(root, "sys", "devices"));
  return [...found].sort();
}

/**
 * How many devices the buses under ROOT/sys/bus list: a cheap sign that devices appeared (every
 * device with a modalias sits on a bus), where walking all of ROOT/sys/devices again is not cheap.
 */
export function busDeviceCount(root: string): number {
  const bus = path.join(root, "sys", "bus");
  let count = 0;
  let buses: string[];
  try {
    buses = fs.readdirSync(bus);
  } catch {
    return 0;
  }
  for (const name of buses) {
    try {
      count += fs.readdirSync(path.join(bus, name, "devices")).length;
    } catch {
      // a bus without a devices folder, or one going away
    }
  }
  return count;
}
