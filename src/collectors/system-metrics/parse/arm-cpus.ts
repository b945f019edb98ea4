/**
 * ARM /proc/cpuinfo names no CPU on arm64 (no `model name`): only the MIDR codes `CPU implementer`
 * and `CPU part`. These are the vendors and the parts found in servers, boards and VMs, by the IDs
 * the vendors publish (the kernel's arch/arm64/include/asm/cputype.h uses the same ones).
 * An unknown part still gets its vendor and code.
 */
const VENDORS: Readonly<Record<number, { readonly name: string; readonly parts: Readonly<Record<number, string>> }>> = {
  0x41: {
    name: "ARM",
    parts: {
      0xb36: "ARM1136",
      0xb56: "ARM1156",
      0xb76: "ARM1176",
      0xc05: "Cortex-A5",
      0xc07: "Cortex-A7",
      0xc08: "Cortex-A8",
      0xc09: "Cortex-A9",
      0xc0d: "Cortex-A12",
      0xc0e: "Cortex-A17",
      0xc0f: "Cortex-A15",
      0xd01: "Cortex-A32",
      0xd03: "Cortex-A53",
      0xd04: "Cortex-A35",
      0xd05: "Cortex-A55",
      0xd06: "Cortex-A65",
      0xd07: "Cortex-A57",
      0xd08: "Cortex-A72",
      0xd09: "Cortex-A73",
      0xd0a: "Cortex-A75",
      0xd0b: "Cortex-A76",
      0xd0c: "Neoverse-N1",
      0xd0d: "Cortex-A77",
      0xd40: "Neoverse-V1",
      0xd41: "Cortex-A78",
      0xd44: "Cortex-X1",
      0xd46: "Cortex-A510",
      0xd47: "Cortex-A710",
      0xd48: "Cortex-X2",
      0xd49: "Neoverse-N2",
      0xd4a: "Neoverse-E1",
      0xd4b: "Cortex-A78C",
      0xd4d: "Cortex-A715",
      0xd4e: "Cortex-X3",
      0xd4f: "Neoverse-V2",
      0xd80: "Cortex-A520",
      0xd81: "Cortex-A720",
      0xd82: "Cortex-X4",
      0xd84: "Neoverse-V3",
      0xd8e: "Neoverse-N3",
    },
  },
  0x42: { name: "Broadcom", parts: { 0x516: "Vulcan" } },
  0x43: {
    name: "Cavium",
    parts: { 0x0a1: "ThunderX 88xx", 0x0a2: "ThunderX 81xx", 0x0a3: "ThunderX 83xx", 0x0af: "ThunderX2 99xx" },
  },
  0x46: { name: "Fujitsu", parts: { 0x001: "A64FX" } },
  0x48: { name: "HiSilicon", parts: { 0xd01: "Kunpeng 920" } },
  0x4e: { name: "NVIDIA", parts: { 0x003: "Denver", 0x004: "Carmel" } },
  0x50: { name: "APM", parts: { 0x000: "X-Gene" } },
  0x51: {
    name: "Qualcomm",
    // 0x800 is left out: the kernel names both Falkor V1 and Kryo 2xx Gold with it.
    parts: {
      0x801: "Kryo 2xx Silver",
      0x802: "Kryo 3xx Gold",
      0x803: "Kryo 3xx Silver",
      0x804: "Kryo 4xx Gold",
      0x805: "Kryo 4xx Silver",
      0xc00: "Falkor",
    },
  },
  0x53: { name: "Samsung", parts: {} },
  0x56: { name: "Marvell", parts: {} },
  0x61: { name: "Apple", parts: {} },
  0x69: { name: "Intel", parts: {} },
  0x6d: { name: "Microsoft", parts: {} },
  0x70: { name: "Phytium", parts: { 0x662: "FTC662", 0x663: "FTC663" } },
  0xc0: { name: "Ampere", parts: { 0xac3: "AmpereOne", 0xac4: "AmpereOne A" } },
}

const hex = (s: string | undefined): number | undefined =>
  s !== undefined && /^0x[0-9a-f]+$/i.test(s) ? Number.parseInt(s.slice(2), 16) : undefined

/** The vendor behind a `CPU implementer` code ("0x41" → "ARM"); the code itself when unknown. */
export const armVendor = (implementer: string | undefined): string | undefined => {
  const id = hex(implementer)
  if (id === undefined) return implementer
  return VENDORS[id]?.name ?? implementer
}

/**
 * "ARM Cortex-A72", "Cavium ThunderX 88xx"; for an unknown part "Ampere part 0xac5".
 * Undefined when there is no usable implementer code.
 */
export const armCpuName = (implementer: string | undefined, part: string | undefined): string | undefined => {
  const id = hex(implementer)
  if (id === undefined) return undefined
  const vendor = VENDORS[id]
  const vendorName = vendor?.name ?? `implementer ${implementer}`
  const partId = hex(part)
  if (partId === undefined) return undefined
  const partName = vendor?.parts[partId]
  if (partName === undefined) return `${vendorName} part ${part}`
  // ARM11 parts are already named after the vendor ("ARM1136").
  return partName.startsWith(vendorName) ? partName : `${vendorName} ${partName}`
}

/** Whether the name came from the table (a known part), rather than from raw codes. */
export const isKnownArmPart = (implementer: string | undefined, part: string | undefined): boolean => {
  const id = hex(implementer)
  const partId = hex(part)
  return id !== undefined && partId !== undefined && VENDORS[id]?.parts[partId] !== undefined
}
