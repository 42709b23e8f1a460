// @ts-check
// Texel formats of the WebGL2 executor (docs/dtypes.md "GLSL") and how the protocol's bytes
// go into and come out of them: upload arrays, readPixels forms, the rectangles a range of
// elements covers, float32 -> binary16 bits.
//
// Rule: pure functions of formats and numbers; GL enums are named by string and looked up
// on the context by the executor.

// Texture formats by name: GL enums (looked up on the context), the typed array of one
// texel's component, the component kind ('f', 'i', 'u') and the components an element
// has (rg32ui: a 64-bit element as two u32 words, r the low one).
/** @typedef {{internal: string, format: string, type: string, kind: string,
 *              array: any, components?: number}} Format */
/** @type {Record<string, Format>} */
export const FORMATS = {
  r32f: { internal: "R32F", format: "RED", type: "FLOAT", kind: "f", array: Float32Array },
  r16f: { internal: "R16F", format: "RED", type: "HALF_FLOAT", kind: "f", array: Uint16Array },
  r32i: { internal: "R32I", format: "RED_INTEGER", type: "INT", kind: "i", array: Int32Array },
  r16i: { internal: "R16I", format: "RED_INTEGER", type: "SHORT", kind: "i", array: Int16Array },
  r8i: { internal: "R8I", format: "RED_INTEGER", type: "BYTE", kind: "i", array: Int8Array },
  r32ui: { internal: "R32UI", format: "RED_INTEGER", type: "UNSIGNED_INT", kind: "u",
           array: Uint32Array },
  r16ui: { internal: "R16UI", format: "RED_INTEGER", type: "UNSIGNED_SHORT", kind: "u",
           array: Uint16Array },
  r8ui: { internal: "R8UI", format: "RED_INTEGER", type: "UNSIGNED_BYTE", kind: "u",
          array: Uint8Array },
  // the executor's own textures (no dtype holds them): packed matmul operands, the partials
  // of a complex128 reduction (four words)
  rgba32f: { internal: "RGBA32F", format: "RGBA", type: "FLOAT", kind: "f", array: Float32Array,
             components: 4 },
  rgba32ui: { internal: "RGBA32UI", format: "RGBA_INTEGER", type: "UNSIGNED_INT", kind: "u",
              array: Uint32Array, components: 4 },
  rg32ui: { internal: "RG32UI", format: "RG_INTEGER", type: "UNSIGNED_INT", kind: "u",
            array: Uint32Array, components: 2 },
};
export const DTYPE_FORMAT = { bool: "r32ui", int8: "r8i", uint8: "r8ui", int16: "r16i",
                              uint16: "r16ui", float16: "r16f", int32: "r32i",
                              uint32: "r32ui", float32: "r32f", int64: "rg32ui",
                              uint64: "rg32ui", float64: "rg32ui" };

/** The components of one element of format `fmt`. */
export const components = (fmt) => FORMATS[fmt].components ?? 1;

/** Bytes of one element of format `fmt` in a texture. */
export const texelBytes = (fmt) => components(fmt) * FORMATS[fmt].array.BYTES_PER_ELEMENT;

/** [GLSL type of one element, its sampler type, the channels it fetches] of format `fmt`
 * (the copy shader's). */
export function glslTypes(fmt) {
  const f = FORMATS[fmt];
  const scalar = { f: "float", i: "int", u: "uint" }[f.kind];
  const prefix = { f: "", i: "i", u: "u" }[f.kind];
  const n = components(fmt);
  return [n === 1 ? scalar : `${prefix}vec${n}`, `${prefix}sampler2D`, "rgba".slice(0, n)];
}
// readPixels forms every WebGL2 implementation supports, by component kind
const READ_RGBA = {
  f: { format: "RGBA", type: "FLOAT", components: 4, array: Float32Array },
  i: { format: "RGBA_INTEGER", type: "INT", components: 4, array: Int32Array },
  u: { format: "RGBA_INTEGER", type: "UNSIGNED_INT", components: 4, array: Uint32Array },
};
// Implementation read forms taken instead when they hold the format's values exactly.
const READ_COMPONENTS = { RED: 1, RG: 2, RGB: 3, RGBA: 4, RED_INTEGER: 1, RG_INTEGER: 2,
                          RGB_INTEGER: 3, RGBA_INTEGER: 4 };
const EXACT_READ_TYPES = {
  r32f: { FLOAT: Float32Array }, r16f: { FLOAT: Float32Array, HALF_FLOAT: Uint16Array },
  r32i: { INT: Int32Array }, r16i: { INT: Int32Array, SHORT: Int16Array },
  r8i: { INT: Int32Array, SHORT: Int16Array, BYTE: Int8Array },
  r32ui: { UNSIGNED_INT: Uint32Array },
  r16ui: { UNSIGNED_INT: Uint32Array, UNSIGNED_SHORT: Uint16Array },
  r8ui: { UNSIGNED_INT: Uint32Array, UNSIGNED_SHORT: Uint16Array, UNSIGNED_BYTE: Uint8Array },
  rg32ui: { UNSIGNED_INT: Uint32Array },
  rgba32ui: { UNSIGNED_INT: Uint32Array },
};

/** How to readPixels a texture of format `fmt`, given the implementation's own form (GL
 * enum names): that form when it holds the values exactly (often RED: a quarter of the
 * bytes), else the RGBA form every implementation supports. */
export function pickReadForm(fmt, format, type) {
  const array = EXACT_READ_TYPES[fmt][type];
  const integer = FORMATS[fmt].kind !== "f";
  if (array && READ_COMPONENTS[format] >= components(fmt) &&
      format.endsWith("_INTEGER") === integer) {
    return { format, type, components: READ_COMPONENTS[format], array };
  }
  return READ_RGBA[FORMATS[fmt].kind];
}

/** Texels read in `form` as the bytes of `count` elements of format `fmt`: the format's
 * first components of each, float32 turned into binary16 bits for r16f. */
export function narrow(form, texels, fmt, count) {
  const Out = FORMATS[fmt].array;
  const n = components(fmt);
  if (form.components === n && form.array === Out) return new Uint8Array(texels.buffer);
  const out = new Out(count * n);
  const step = form.components;
  if (fmt === "r16f" && form.array === Float32Array) {
    for (let k = 0; k < count; k++) out[k] = halfBits(texels[k * step]);
  } else {
    for (let k = 0; k < count; k++) {
      for (let c = 0; c < n; c++) out[k * n + c] = texels[k * step + c];
    }
  }
  return new Uint8Array(out.buffer);
}

/** `bytes` as a typed array of `Type` (copied when not aligned for it). */
export function typedView(Type, bytes) {
  const aligned = bytes.byteOffset % Type.BYTES_PER_ELEMENT === 0 ? bytes : bytes.slice();
  return new Type(aligned.buffer, aligned.byteOffset, aligned.byteLength / Type.BYTES_PER_ELEMENT);
}

/** [x, y, w, h, first] rectangles covering elements [start, start + count) of a texture
 * `width` wide: a partial first row, whole middle rows, a partial last row; `first` is the
 * index of the rectangle's first element within the range. */
export function rectangles(width, start, count) {
  const out = [];
  const end = start + count;
  for (let pos = start; pos < end;) {
    const row = Math.floor(pos / width);
    const col = pos - row * width;
    if (col === 0 && end - pos >= width) {
      const rows = Math.floor((end - pos) / width);
      out.push([0, row, width, rows, pos - start]);
      pos += rows * width;
    } else {
      const n = Math.min(width - col, end - pos);
      out.push([col, row, n, 1, pos - start]);
      pos += n;
    }
  }
  return out;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The binary16 bits of `x`, rounded to nearest even (overflow to infinity, NaN kept,
 * subnormals kept). */
export function halfBits(x) {
  f32[0] = x;
  const bits = u32[0];
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  const mant = bits & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 | (mant >>> 13) : 0);
  const e = exp - 112; // rebiased to binary16's 15
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    return sign | roundShift(mant | 0x800000, 14 - e);
  }
  // a carry out of the mantissa steps the exponent up, to infinity past 65504
  return sign | ((e << 10) + roundShift(mant, 13));
}

/** `m >>> shift`, rounded to nearest even. */
function roundShift(m, shift) {
  const q = m >>> shift;
  const rest = m - q * 2 ** shift;
  const half = 2 ** (shift - 1);
  return rest > half || (rest === half && q & 1) ? q + 1 : q;
}
