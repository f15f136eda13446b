// Result artifacts for tests beyond the everyday ones (standin/artifacts.ts): a zip bomb.
import { zipSync } from "fflate";

/** A small zip that inflates far past the limit while its headers claim a tiny size. */
export function bombZip(): Uint8Array {
  const zip = zipSync({ "lanegate-result.json": new Uint8Array(8 * 1024 * 1024) }, { level: 9 });
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  // Lie in both the local header (offset 22) and the central directory (offset 24).
  view.setUint32(22, 100, true);
  const central = zip.length - 22 - 46 - "lanegate-result.json".length;
  view.setUint32(central + 24, 100, true);
  return zip;
}
