// The kernel playground: paste a CuPy kernel (.cu with a // header), see the WGSL and
// GLSL kernelc makes of it, run it on WebGPU or WebGL2 and see its first output drawn.
//
// Rule: all kernel work happens in Python (wgpy_runtime/playground.py, in the bridge's
// Pyodide worker); this page only sends the text and the form, and shows what comes back.
// Calls to Python go one at a time, so a slow run never interleaves with a compile.

import { startBridge } from "../bridge.js";
import { Editor } from "./editor.js";
import { COLOUR_MAPS, SCALE_NAMES, decode, draw } from "./image.js";

const MANDELBROT = `// name: mandelbrot
// in_params: T cx, T cy, int32 max_iter
// out_params: int32 count
// scalars: max_iter
// defaults: max_iter = 200
// The Mandelbrot escape-time kernel: one element per pixel, cx/cy the pixel's point
// of the complex plane (the playground fills them from the view rectangle).
// operation:
T zr = 0.0f, zi = 0.0f;
int k = 0;
while (k < max_iter && zr * zr + zi * zi <= 4.0f) {
    T t = zr * zr - zi * zi + cx;
    zi = 2.0f * zr * zi + cy;
    zr = t;
    ++k;
}
count = k;
`;
// Other examples are the repository's own files, fetched when chosen, with the scalar
// values the playground starts them from (a `// defaults:` line added after the header).
const EXAMPLES = {
  mandelbrot: null,
  smooth_clip: { url: "/examples/smooth_clip.cu", defaults: "lo = -1.0, hi = 0.5" },
  squared_diff: { url: "/examples/squared_diff.cu" },
};
const HEADER_LINE = /^\s*\/\/\s*(name|in_params|out_params|scalars)\s*:/;
const DEFAULT_VIEW = { x0: -2, x1: 1, y0: -1.5, y1: 1.5 };
const TARGET_OF = { webgpu: "wgsl", webgl: "glsl" };
const FILL_KINDS = ["x", "y", "index", "random", "zeros", "constant"];
const COMPILE_DELAY_MS = 400;

const $ = (id) => document.getElementById(id);

class Playground {
  constructor() {
    this.editor = new Editor($("source"), $("gutter"));
    this.bridge = null;
    this.queue = Promise.resolve();
    this.compiled = null; // {text, types, result} of the last translate
    this.compileTimer = 0;
    this.scalarValues = new Map(); // name -> what the person typed, kept across compiles
    this.fillChoices = new Map(); // input name -> {kind, value} chosen, kept across compiles
    this.last = null; // the last successful run's summary (tests read it)
    this.failure = null; // the last run's error, when it failed (tests read it)
    this.runs = 0;
  }

  // --------------------------------------------------------------------------- start

  async start() {
    this.setState("starting", "starting Python (Pyodide) …");
    this.editor.text = MANDELBROT;
    this.fillSelect($("colours"), COLOUR_MAPS, "magma");
    this.fillSelect($("scale"), SCALE_NAMES, "log"); // escape-time counts crowd the low end
    this.fillSelect($("example"), Object.keys(EXAMPLES));
    this.bindEvents();
    if (!navigator.gpu) $("backend").querySelector("[value=webgpu]").textContent += " (not in this browser)";
    try {
      this.bridge = await startBridge({ canvas: $("gl-canvas"), onStdout: (t) => console.log(t),
                                        onNotice: (text) => this.notice(text) });
      this.bridge.host.pacer.listeners.add((progress) => this.showProgress(progress));
      await this.python("import json\nimport wgpy_runtime.playground as _pg\nNone");
    } catch (e) {
      this.setState("failed", "Python did not start");
      this.showErrors([{ title: "startup", text: e.message }]);
      return;
    }
    const { python, transport } = this.bridge.info;
    $("python").textContent = `Python ${python} in Pyodide, ${transport}`;
    await this.compile();
    this.setState("ready", "ready");
  }

  bindEvents() {
    $("source").addEventListener("input", () => this.scheduleCompile());
    $("types").addEventListener("change", () => this.scheduleCompile(0));
    $("controls").addEventListener("submit", (e) => {
      e.preventDefault();
      this.run();
    });
    $("source").addEventListener("keydown", (e) => {
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
        e.preventDefault();
        this.run();
      }
    });
    $("reset-view").addEventListener("click", () => this.setView(DEFAULT_VIEW));
    $("cancel").addEventListener("click", () => this.cancel());
    $("inputs").addEventListener("change", () => this.describeInputs());
    for (const id of ["width", "height", "x0", "x1", "y0", "y1"]) {
      $(id).addEventListener("change", () => this.describeInputs());
    }
    $("example").addEventListener("change", () => this.loadExample($("example").value));
    $("colours").addEventListener("change", () => this.redraw());
    $("scale").addEventListener("change", () => this.redraw());
    $("image").addEventListener("click", (e) => this.zoom(e));
    $("errors").addEventListener("click", (e) => {
      const item = e.target.closest("[data-line]");
      if (item) this.editor.select(+item.dataset.line, +item.dataset.column, +item.dataset.length);
    });
  }

  fillSelect(select, names, chosen = names[0]) {
    select.replaceChildren(...names.map((name) => new Option(name, name, false, name === chosen)));
  }

  // ---------------------------------------------------------------- talking to Python

  // Call wgpy_runtime.playground.<fn>(**args) in the worker; the result comes as JSON so
  // None, nested lists and dicts arrive exactly as Python made them.
  python(code) {
    const call = this.queue.then(() => this.bridge.run(code));
    this.queue = call.catch(() => {});
    return call;
  }

  async call(fn, args) {
    const literal = JSON.stringify(JSON.stringify(args));
    return JSON.parse(await this.python(`json.dumps(_pg.${fn}(**json.loads(${literal})))`));
  }

  // ------------------------------------------------------------------------ compiling

  scheduleCompile(delay = COMPILE_DELAY_MS) {
    clearTimeout(this.compileTimer);
    this.compileTimer = setTimeout(() => this.compile(), delay);
  }

  async compile() {
    clearTimeout(this.compileTimer);
    const text = this.editor.text;
    const types = $("types").value;
    if (this.compiled && this.compiled.text === text && this.compiled.types === types) {
      return this.compiled.result;
    }
    if (!this.bridge) return null;
    let result;
    try {
      result = await this.call("translate", { text, types });
    } catch (e) {
      result = { error: { kind: "Error", text: e.message }, targets: {} };
    }
    this.compiled = { text, types, result };
    this.showCompiled(result);
    return result;
  }

  showCompiled(result) {
    for (const target of ["wgsl", "glsl"]) {
      const entry = result.targets[target];
      $(`${target}-code`).textContent = entry?.code ?? "";
      $(`${target}-code`).classList.toggle("empty", !entry?.code);
      $(`${target}-abi`).textContent = entry?.abi?.join("\n") ?? "";
      $(`${target}-ms`).textContent = entry?.code ? `${entry.compile_ms.toFixed(1)} ms` : "failed";
      $(`${target}-ms`).classList.toggle("bad", !entry?.code);
    }
    $("kernel-name").textContent = result.name ?? "";
    if (result.types && !$("types").value) {
      $("types").placeholder = Object.entries(result.types).map(([k, v]) => `${k}=${v}`).join(", ");
    }
    // A kernel that does not compile keeps the last scalar fields (no jumping form).
    if (result.params) {
      this.showScalars(result.scalars ?? []);
      this.showInputs(result.params, result.fills ?? {});
    }
    const errors = compileErrors(result);
    this.showErrors(errors, compileWarnings(result));
    $("figure").classList.toggle("stale", errors.length > 0);
  }

  showScalars(fields) {
    for (const input of $("scalars").querySelectorAll("input")) {
      this.scalarValues.set(input.name, input.value);
    }
    const rows = fields.map(({ name, dtype, default: value }) => {
      const label = document.createElement("label");
      const input = document.createElement("input");
      input.name = name;
      input.dataset.dtype = dtype;
      input.inputMode = "decimal";
      input.value = this.scalarValues.get(name) ?? String(value);
      label.append(Object.assign(document.createElement("span"), { textContent: name }),
                   input, Object.assign(document.createElement("small"), { textContent: dtype }));
      return label;
    });
    $("scalars").replaceChildren(...rows);
    $("scalars-box").hidden = rows.length === 0;
  }

  // One row per input array: a fill to choose (x, y, index, random, zeros, constant) and
  // what the input will hold, said before the run.
  showInputs(params, defaults) {
    for (const row of $("inputs").querySelectorAll("label")) {
      this.fillChoices.set(row.dataset.name, this.fillOf(row));
    }
    const rows = params.filter((p) => p.role === "in" && p.kind !== "scalar").map((p) => {
      const label = document.createElement("label");
      label.dataset.name = p.name;
      label.dataset.dtype = p.dtype;
      const select = document.createElement("select");
      select.name = p.name;
      this.fillSelect(select, FILL_KINDS);
      const value = Object.assign(document.createElement("input"), { inputMode: "decimal" });
      value.name = `${p.name}-constant`;
      const [kind, constant = "1"] = (defaults[p.name] ?? "zeros").split(":");
      const chosen = this.fillChoices.get(p.name) ?? { kind, value: constant };
      select.value = chosen.kind;
      value.value = chosen.value;
      label.append(Object.assign(document.createElement("span"), { textContent: p.name }),
                   select, value, document.createElement("small"));
      return label;
    });
    $("inputs").replaceChildren(...rows);
    $("inputs-box").hidden = rows.length === 0;
    this.describeInputs();
  }

  fillOf(row) {
    return { kind: row.querySelector("select").value, value: row.querySelector("input").value };
  }

  describeInputs() {
    const [x0, x1, y0, y1] = this.form().view;
    const n = Math.round(Number($("width").value)) * Math.round(Number($("height").value));
    for (const row of $("inputs").querySelectorAll("label")) {
      const { kind, value } = this.fillOf(row);
      const dtype = row.dataset.dtype;
      const integer = /int|bool/.test(dtype);
      row.querySelector("input").hidden = kind !== "constant";
      row.querySelector("small").textContent = `${dtype}: ` + {
        x: `each pixel's x, ${fmt(x0)} … ${fmt(x1)} along a row`,
        y: `each pixel's y, ${fmt(y1)} (top row) … ${fmt(y0)}`,
        index: `the element's index, 0 … ${fmt(Math.max(0, n - 1))}` +
               (integer ? " (wrapping past the dtype's range)" : ""),
        random: dtype === "bool" ? "random true/false (the same each run)"
          : integer ? "random integers in [0, 100) (the same each run)"
            : "random numbers in [0, 1) (the same each run)",
        zeros: "zeros",
        constant: `${value} everywhere`,
      }[kind];
    }
  }

  // --------------------------------------------------------------------------- errors

  // errors: [{title, text, line?, column?, length?}], warnings the same.
  showErrors(errors, warnings = []) {
    const panel = $("errors");
    const item = (severity) => ({ title, text, line, column, length }) => {
      const div = document.createElement("div");
      div.className = `diagnostic ${severity}`;
      if (line) Object.assign(div.dataset, { line, column: column ?? 1, length: length ?? 1 });
      const head = document.createElement("div");
      head.className = "diagnostic-head";
      head.textContent = line ? `${title} — line ${line}, column ${column} (click to go there)` : title;
      const pre = document.createElement("pre");
      pre.textContent = text;
      div.append(head, pre);
      return div;
    };
    panel.replaceChildren(...errors.map(item("error")), ...warnings.map(item("warning")));
    panel.hidden = errors.length + warnings.length === 0;
    this.editor.mark([...errors.map((e) => ({ line: e.line, severity: "error" })),
                      ...warnings.map((w) => ({ line: w.line, severity: "warning" }))]);
    document.body.dataset.errors = String(errors.length);
  }

  // ------------------------------------------------------------------------- running

  form() {
    const number = (id) => Number($(id).value);
    const scalars = {};
    for (const input of $("scalars").querySelectorAll("input")) scalars[input.name] = input.value;
    const fills = {};
    for (const row of $("inputs").querySelectorAll("label")) {
      const { kind, value } = this.fillOf(row);
      fills[row.dataset.name] = kind === "constant" ? `constant:${value.trim()}` : kind;
    }
    return {
      width: Math.round(number("width")), height: Math.round(number("height")),
      view: [number("x0"), number("x1"), number("y0"), number("y1")],
      scalars, types: $("types").value, backend: $("backend").value, fills,
    };
  }

  async run() {
    if (!this.bridge || document.body.dataset.state === "running") return;
    const { backend, ...options } = this.form();
    this.setState("running", "compiling …");
    const compiled = await this.compile();
    const target = TARGET_OF[backend];
    if (!compiled || compiled.error || compiled.targets[target]?.error) {
      // this target's own errors, whatever the panel showed for the last run
      const errors = compiled ? compileErrors(compiled).filter((e) =>
        e.title === "kernel" || e.title.includes(target.toUpperCase())) : [];
      this.showErrors(errors.length ? errors : [{ title: target.toUpperCase(),
                                                  text: "the kernel did not compile" }],
                      compiled ? compileWarnings(compiled) : []);
      this.fail(backend, `not run: compile error (${target.toUpperCase()})`);
      return;
    }
    this.setState("running", `running on ${backend} …`);
    $("notice").hidden = true;
    let result;
    const started = performance.now();
    try {
      result = await this.call("run", { text: this.editor.text, backend, ...options });
      if (result.error && /device was made/.test(result.error.text ?? "")) {
        // the device was lost since the last run and has been made again: run once more
        this.notice(result.error.text);
        result = await this.call("run", { text: this.editor.text, backend, ...options });
      }
    } catch (e) {
      result = { error: { kind: "Error", text: e.message } };
    }
    const roundTrip = performance.now() - started;
    if (result.error) {
      const cancelled = result.error.kind === "Cancelled";
      this.showErrors([{ title: `run on ${backend}`, ...diagnostic(result.error) }],
                      compileWarnings(compiled));
      this.fail(backend, cancelled ? `run on ${backend} cancelled` : `run on ${backend} failed`,
                result.error);
      return;
    }
    this.failure = null;
    this.showErrors([], compileWarnings(compiled));
    $("figure").classList.remove("stale");
    this.runs += 1;
    this.output = result.output;
    const stats = this.redraw();
    this.last = { backend, stats, timings: result.timings, adapter: result.adapter,
                  output: { name: result.output.name, dtype: result.output.dtype,
                            shape: result.output.shape }, run: this.runs };
    await this.showTimings(result, compiled, stats, roundTrip);
    this.setState("done", `ran on ${backend}`);
  }

  // A run that failed: its message in the status, no figures of an earlier run.
  fail(backend, status, error = null) {
    this.failure = { backend, status, error: error?.text ?? status };
    $("timings").replaceChildren();
    $("figure").classList.add("stale");
    this.setState("error", status);
  }

  cancel() {
    if (document.body.dataset.state !== "running") return;
    $("status").textContent = "cancelling …";
    this.bridge.cancel();
  }

  showProgress(progress) {
    $("progress").hidden = !progress;
    if (!progress) return;
    const share = progress.total ? progress.done / progress.total : 0;
    $("progress-bar").value = share;
    $("progress-text").textContent = `${progress.what}: ${(100 * share).toFixed(0)}% of ` +
                                     `${progress.total.toLocaleString("en")} elements`;
  }

  // Something the person should know that is not an error of the run (a lost device).
  notice(text) {
    console.warn(text);
    $("notice").textContent = text;
    $("notice").hidden = false;
  }

  redraw() {
    if (!this.output) return null;
    const { data, dtype, shape: [height, width] } = this.output;
    const values = decode(data, dtype);
    const stats = draw($("image"), values, width, height, $("colours").value, $("scale").value);
    $("image").style.aspectRatio = `${width} / ${height}`;
    $("figure").classList.add("drawn");
    return stats;
  }

  async showTimings(result, compiled, stats, roundTrip) {
    const t = result.timings;
    const ms = (v) => `${v.toFixed(1)} ms`;
    const adapter = result.adapter || (await this.adapterOf(result.backend)) || "unknown";
    const { name, dtype, shape } = result.output;
    const rows = [
      ["compile", `WGSL ${ms(compiled.targets.wgsl?.compile_ms ?? NaN)} · ` +
                  `GLSL ${ms(compiled.targets.glsl?.compile_ms ?? NaN)}`],
      ["run", `${ms(t.run_ms)} = upload ${ms(t.upload_ms)} + dispatch ${ms(t.dispatch_ms)}` +
              ` + read back ${ms(t.read_ms)}`],
      ["", t.first_dispatch ? "first run of this program: the dispatch includes building its pipeline"
                            : `round trip from the page ${ms(roundTrip)}`],
      ["backend", `${result.backend} (${result.target.toUpperCase()}) on ${adapter}`],
      ["output", `${name}: ${dtype} ${shape.join(" × ")}, ${summary(stats)}`],
    ];
    const inputs = Object.entries(result.inputs).filter(([, what]) => what !== "nothing")
      .map(([param, what]) => `${param} ← ${what}`).join(", ");
    rows.push(["inputs", inputs]);
    $("timings").replaceChildren(...rows.map(([key, value]) => {
      const tr = document.createElement("tr");
      tr.append(Object.assign(document.createElement("th"), { textContent: key }),
                Object.assign(document.createElement("td"), { textContent: value }));
      return tr;
    }));
  }

  // What the executor says it runs on, when Python could not tell.
  async adapterOf(backend) {
    try {
      const exec = await this.bridge.host.executors.get(backend);
      if (exec?.gl) {
        const gl = exec.gl;
        const debug = gl.getExtension("WEBGL_debug_renderer_info");
        return gl.getParameter(debug ? debug.UNMASKED_RENDERER_WEBGL : gl.RENDERER);
      }
      const info = exec?.adapterInfo ?? exec?.adapter?.info ?? exec?.device?.adapterInfo;
      if (info) {
        return [info.vendor, info.architecture, info.description].filter(Boolean).join(" ") ||
               "WebGPU adapter";
      }
    } catch {
      // the executor failed to start: the run already said so
    }
    return "";
  }

  // ---------------------------------------------------------------------- the view

  setView({ x0, x1, y0, y1 }) {
    Object.entries({ x0, x1, y0, y1 }).forEach(([id, v]) => { $(id).value = String(+v.toPrecision(8)); });
  }

  // Click: zoom in ×2 about the point; shift-click: zoom out ×2. Then run again.
  zoom(e) {
    if (!this.output) return;
    const box = $("image").getBoundingClientRect();
    const fx = (e.clientX - box.left) / box.width;
    const fy = (e.clientY - box.top) / box.height;
    const [x0, x1, y0, y1] = this.form().view;
    const cx = x0 + fx * (x1 - x0);
    const cy = y1 - fy * (y1 - y0); // row 0 is the top: y1
    const f = e.shiftKey ? 1 : 0.25; // half-widths: ×2 out or ×2 in
    const hw = (x1 - x0) * f, hh = (y1 - y0) * f;
    this.setView({ x0: cx - hw, x1: cx + hw, y0: cy - hh, y1: cy + hh });
    this.run();
  }

  async loadExample(name) {
    let text = MANDELBROT;
    const example = EXAMPLES[name];
    if (example) {
      const response = await fetch(example.url);
      text = response.ok ? await response.text() : `// could not fetch ${example.url}\n`;
      if (response.ok && example.defaults) text = withDefaults(text, example.defaults);
    }
    this.editor.text = text;
    this.setView(DEFAULT_VIEW); // a new kernel starts from the whole picture
    this.compiled = null; // show this text's diagnostics even when it compiled before
    this.scheduleCompile(0);
  }

  setState(state, message) {
    document.body.dataset.state = state;
    $("status").textContent = message;
    $("run").disabled = state === "starting" || state === "running" || state === "failed";
    $("cancel").hidden = state !== "running";
    if (state !== "running") this.showProgress(null);
  }
}

function withDefaults(text, defaults) {
  const lines = text.split("\n");
  let last = -1;
  lines.forEach((line, k) => { if (HEADER_LINE.test(line)) last = k; });
  lines.splice(last + 1, 0, `// defaults: ${defaults}`);
  return lines.join("\n");
}

function diagnostic(error) {
  const length = Math.max(1, (error.text?.split("\n")[2]?.trim().length) ?? 1);
  return { text: error.text, line: error.line, column: error.column, length };
}

function compileErrors(result) {
  if (result.error) return [{ title: "kernel", ...diagnostic(result.error) }];
  const errors = [];
  for (const target of ["wgsl", "glsl"]) {
    const error = result.targets[target]?.error;
    if (!error) continue;
    const same = errors.find((e) => e.text === error.text);
    if (same) same.title += ` and ${target.toUpperCase()}`;
    else errors.push({ title: target.toUpperCase(), ...diagnostic(error) });
  }
  return errors;
}

function compileWarnings(result) {
  const seen = new Set();
  const warnings = [];
  for (const entry of Object.values(result.targets ?? {})) {
    for (const w of entry?.warnings ?? []) {
      if (seen.has(w.text)) continue;
      seen.add(w.text);
      warnings.push({ title: "warning", ...diagnostic(w) });
    }
  }
  return warnings;
}

// "min 1, max 200, mean 38.2", with the values that are not finite counted; the range
// is over every value that is a number (±Infinity included), so an all-infinite output
// says so instead of "NaN".
function summary(stats) {
  if (stats.count === stats.nan) return `all ${stats.count} values NaN`;
  const parts = [`min ${fmt(stats.low)}`, `max ${fmt(stats.high)}`];
  if (stats.nonFinite === 0) parts.push(`mean ${fmt(stats.mean)}`);
  else if (stats.nonFinite < stats.count) parts.push(`mean of the finite ${fmt(stats.mean)}`);
  for (const [n, what] of [[stats.nan, "NaN"], [stats.posInf, "+Infinity"],
                           [stats.negInf, "-Infinity"]]) {
    if (n) parts.push(`${n} ${what}`);
  }
  return parts.join(", ");
}

function fmt(v) {
  if (!Number.isFinite(v)) return String(v);
  return Number.isInteger(v) ? String(v) : v.toPrecision(4);
}

const playground = new Playground();
window.playground = playground;
playground.ready = playground.start();
