// @ts-check
// The device-internal shaders (the launch vertex shader, the texel copy, the byte copy).
// Rule: one copy of each lives in the Python package, kernelc/lib/shaders/, which the
// native devices read; the executors fetch the same files from the server that serves
// this module (the repository root), once per page. A shader launched like a program has
// its contract beside it (NAME.json, kernelc.lib.shaders.device_program), read from there.

import { ABI_VERSION } from "./abi.js";

/** Where the package's shaders are served, relative to this module. */
export const SHADER_URL = new URL("../kernelc/lib/shaders/", import.meta.url);

/** @type {Map<string, Promise<string>>} */
const loaded = new Map();

/** The text of device shader `name` (e.g. "vertex.glsl"); throws with the URL on failure. */
export function deviceShader(name, base = SHADER_URL) {
  const url = new URL(name, base).href;
  let text = loaded.get(url);
  if (!text) {
    text = fetch(url).then(async (response) => {
      if (!response.ok) {
        throw new Error(`device shader ${url}: HTTP ${response.status}`);
      }
      return response.text();
    });
    text.catch(() => loaded.delete(url)); // a failed fetch is retried next time
    loaded.set(url, text);
  }
  return text;
}

/** Device program `name` ("byte_copy") as {code, abi}: NAME.TARGET and its contract
 * NAME.json (kept without abi_version: it ships with these executors). */
export async function deviceProgram(name, target = "wgsl", base = SHADER_URL) {
  const [code, contract] = await Promise.all([deviceShader(`${name}.${target}`, base),
                                              deviceShader(`${name}.json`, base)]);
  return { code, abi: { abi_version: ABI_VERSION, ...JSON.parse(contract) } };
}

/** copy.glsl for one texture kind: ("float", "sampler2D"), ("int", "isampler2D"), ...,
 * ("uvec2", "usampler2D", "rg") for RG32UI (kernelc.lib.shaders.copy_shader). */
export function copyShader(template, texelType, samplerType, channels = "r") {
  return template.replace("0).r;", `0).${channels};`).replaceAll("TEXEL_TYPE", texelType)
    .replaceAll("SAMPLER_TYPE", samplerType);
}
