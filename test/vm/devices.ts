import * as fs from "node:fs";
import * as path from "node:path";
import { CACHE } from "./artefacts";

/**
 * The many-device guest of the coldplug test and bench: two NICs, virtio devices, SCSI, AHCI with
 * a CD-ROM, USB (keyboard, tablet, storage) and HD audio, on top of boot.sh's e1000. The modules
 * packed for it are the drivers such a guest can use; kmod's tree is the same bundle unpacked, so
 * both tools choose among the same modules.
 */
export const COLDPLUG_SET = [
  "e1000", "virtio_pci", "virtio_net", "virtio_rng", "virtio_balloon", "virtio_scsi", "sd_mod", "sr_mod", "ahci",
  "xhci_pci", "usbhid", "hid_generic", "usb_storage", "uas", "snd_hda_intel", "snd_hda_codec_generic", "i2c_i801", "lpc_ich",
  "pcspkr", "qemu_fw_cfg", "evdev", "joydev", "serio_raw", "button", "crc32c_intel", "ghash_clmulni_intel", "aesni_intel",
] as const;

/** A small raw disk image (zeros) for the SCSI disk and the USB stick. */
function diskImage(): string {
  const file = path.join(CACHE, "empty-disk-4m.img");
  if (!fs.existsSync(file)) {
    fs.mkdirSync(CACHE, { recursive: true });
    fs.writeFileSync(`${file}.tmp-${process.pid}`, Buffer.alloc(4 << 20));
    fs.renameSync(`${file}.tmp-${process.pid}`, file);
  }
  return file;
}

/**
 * The q35 board, not the default pc: pc's IDE controller brings ata_piix and a default CD-ROM,
 * whose probes cost tens of seconds under TCG, the same for both tools. -nodefaults drops q35's
 * default CD-ROM on its AHCI for the same reason (the serial console, the only default the
 * guests need, is given back).
 */
const BOARD = ["-machine", "q35", "-nodefaults", "-serial", "stdio"];
/** A guest with a bus driver to load first: virtio devices behind virtio_pci (the test's). */
export function virtioDevices(): string[] {
  return [...BOARD, "-netdev", "user,id=vnet0", "-device", "virtio-net-pci,netdev=vnet0,romfile=", "-device", "virtio-rng-pci", "-device", "virtio-balloon-pci"];
}

export function manyDevices(): string[] {
  const disk = diskImage();
  return [
    ...BOARD,
    "-netdev", "user,id=vnet0", "-device", "virtio-net-pci,netdev=vnet0,romfile=",
    "-device", "virtio-rng-pci",
    "-device", "virtio-balloon-pci",
    "-device", "virtio-scsi-pci,id=scsi0",
    "-drive", `if=none,id=scsidisk,file=${disk},format=raw,readonly=on`, "-device", "scsi-hd,drive=scsidisk,bus=scsi0.0",
    "-device", "ahci,id=ahci0",
    "-drive", `if=none,id=cdimage,media=cdrom,file=${disk},format=raw,readonly=on`, "-device", "ide-cd,drive=cdimage,bus=ahci0.0",
    "-device", "qemu-xhci,id=xhci",
    "-device", "usb-kbd,bus=xhci.0", "-device", "usb-tablet,bus=xhci.0",
    "-drive", `if=none,id=stick,file=${disk},format=raw,readonly=on`, "-device", "usb-storage,drive=stick,bus=xhci.0",
    // A codec without an audio backend is never answered: the driver's probe would time out.
    "-audiodev", "none,id=snd0", "-device", "intel-hda", "-device", "hda-duplex,audiodev=snd0",
  ];
}
