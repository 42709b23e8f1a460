// The playground's picture: a kernel output (bytes of one storage dtype) normalised from
// its minimum to its maximum through a colour map, drawn on a canvas.
//
// Rule: only finite values set the range; NaN and ±Infinity are drawn black, so one
// diverged pixel does not flatten the rest of the image.

const ARRAYS = {
  bool: Uint8Array, int8: Int8Array, uint8: Uint8Array, int16: Int16Array,
  uint16: Uint16Array, int32: Int32Array, uint32: Uint32Array, float32: Float32Array,
};

// Colour stops from 0 to 1, evenly spaced (sampled from matplotlib's maps).
const MAPS = {
  viridis: ["#440154", "#482878", "#3e4989", "#31688e", "#26828e", "#1f9e89", "#35b779",
            "#6ece58", "#b5de2b", "#fde725"],
  magma: ["#000004", "#180f3d", "#440f76", "#721f81", "#9e2f7f", "#cd4071", "#f1605d",
          "#fd9668", "#feca8d", "#fcfdbf"],
  twilight: ["#e2d9e2", "#9ebbc9", "#6785be", "#5e43a5", "#421e4f", "#5a1d40", "#9e3d3f",
             "#c67b5f", "#dab8a8", "#e2d9e2"],
  grey: ["#000000", "#ffffff"],
};

export const COLOUR_MAPS = Object.keys(MAPS);

// How a value's place between min (0) and max (1) becomes a colour's: log and sqrt
// spread the low end, where most of an escape-time image's values are.
const SCALES = {
  linear: (t) => t,
  sqrt: Math.sqrt,
  log: (t) => Math.log1p(999 * t) / Math.log(1000),
};

export const SCALE_NAMES = Object.keys(SCALES);

// base64 text -> typed array of the output's elements.
export function decode(base64, dtype) {
  const raw = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  if (dtype === "float16") return halves(new Uint16Array(raw.buffer));
  const Type = ARRAYS[dtype];
  if (!Type) throw new Error(`cannot draw dtype ${dtype}`);
  return new Type(raw.buffer);
}

function halves(bits) {
  const out = new Float32Array(bits.length);
  for (let k = 0; k < bits.length; k++) {
    const h = bits[k];
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const frac = h & 0x3ff;
    if (exp === 0) out[k] = sign * frac * 2 ** -24;
    else if (exp === 31) out[k] = frac ? NaN : sign * Infinity;
    else out[k] = sign * (1 + frac / 1024) * 2 ** (exp - 15);
  }
  return out;
}

// min, max and mean over the finite values (the colour range), low and high over every
// value that is not NaN (±Infinity included), how many were NaN, +Infinity, -Infinity,
// and how many distinct values (counted up to 1000).
export function statistics(values) {
  let min = Infinity, max = -Infinity, sum = 0, finite = 0, nan = 0, posInf = 0, negInf = 0;
  const distinct = new Set();
  for (let k = 0; k < values.length; k++) {
    const v = Number(values[k]);
    if (!Number.isFinite(v)) {
      if (Number.isNaN(v)) nan += 1;
      else if (v > 0) posInf += 1;
      else negInf += 1;
      continue;
    }
    finite += 1;
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
    if (distinct.size < 1000) distinct.add(v);
  }
  const low = negInf ? -Infinity : finite ? min : posInf ? Infinity : NaN;
  const high = posInf ? Infinity : finite ? max : negInf ? -Infinity : NaN;
  return { min: finite ? min : NaN, max: finite ? max : NaN, mean: finite ? sum / finite : NaN,
           low, high, count: values.length, nan, posInf, negInf,
           nonFinite: values.length - finite, distinct: distinct.size };
}

function lookupTable(name) {
  const stops = (MAPS[name] ?? MAPS.viridis).map((hex) =>
    [1, 3, 5].map((at) => parseInt(hex.slice(at, at + 2), 16)));
  const table = new Uint8ClampedArray(256 * 3);
  for (let k = 0; k < 256; k++) {
    const at = (k / 255) * (stops.length - 1);
    const lo = Math.min(Math.floor(at), stops.length - 2);
    const t = at - lo;
    for (let c = 0; c < 3; c++) {
      table[3 * k + c] = stops[lo][c] + t * (stops[lo + 1][c] - stops[lo][c]);
    }
  }
  return table;
}

// Draw `values` (height × width, C order) on `canvas`; returns the statistics.
export function draw(canvas, values, width, height, mapName, scaleName = "linear") {
  const stats = statistics(values);
  const table = lookupTable(mapName);
  const span = stats.max - stats.min;
  const scale = span > 0 ? 1 / span : 0;
  const curve = SCALES[scaleName] ?? SCALES.linear;
  const image = new ImageData(width, height);
  const px = image.data;
  for (let k = 0; k < width * height; k++) {
    const v = Number(values[k]);
    const o = 4 * k;
    px[o + 3] = 255;
    if (!Number.isFinite(v)) continue; // black
    const idx = 3 * Math.round(255 * curve((v - stats.min) * scale));
    px[o] = table[idx];
    px[o + 1] = table[idx + 1];
    px[o + 2] = table[idx + 2];
  }
  canvas.width = width;
  canvas.height = height;
  canvas.getContext("2d").putImageData(image, 0, 0);
  return stats;
}
