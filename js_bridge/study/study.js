// The worker page of a study (python -m wgpy_runtime.study): this browser runs trials.
//
// Rule: Python (wgpy_runtime/study/worker.py, in the bridge's Pyodide worker) claims,
// runs and finishes the trials; this page starts it, runs one trial per call, shows what
// the worker posts, and sends the running trial's heartbeats from the main thread, so a
// closed tab stops them and the server fails and requeues its trial.

import { startBridge } from "../bridge.js";

const $ = (id) => document.getElementById(id);

class StudyWorker {
  constructor() {
    this.id = crypto.randomUUID();
    this.state = "starting";
    this.current = null; // {trial, token, params, steps}
    this.finished = []; // what run_next answered, one per trial run here
    this.summary = null;
    this.error = null;
    this.timings = {}; // ms since the page's start: python (Pyodide up), ready (objective loaded)
  }

  async start() {
    try {
      this.summary = await getJSON("/api/study");
      $("study").textContent = this.summary.study;
      this.show(this.summary);
      this.setState("starting", "starting Python (Pyodide) …");
      this.bridge = await startBridge({ canvas: $("gl-canvas"), onEvent: (e) => this.onEvent(e) });
      this.timings.python = performance.now();
      const backend = await pickBackend(new URLSearchParams(location.search).get("backend"));
      this.setState("starting", `loading the objective, ${backend} device …`);
      this.info = await this.bridge.run(
        "from wgpy_runtime.study import worker as _study_worker\n" +
        `_study_worker.start(${JSON.stringify(this.summary.study)}, "${backend}", "${this.id}")`);
      this.timings.ready = performance.now();
      $("adapter").textContent = this.info.adapter;
      $("backend").textContent = `${backend}, worker ${this.id.slice(0, 8)}`;
      setInterval(() => this.heartbeat(), 1000 * this.summary.heartbeat_interval);
      await this.loop();
    } catch (e) {
      this.error = e.message;
      this.setState("failed", `stopped: ${e.message}`);
    }
  }

  async loop() {
    for (;;) {
      this.setState("running", "asking for a trial …");
      const answer = await this.bridge.run("_study_worker.run_next()");
      if (answer.status === "done") break;
      if (answer.status === "wait") {
        this.setState("waiting", "the last trials are running elsewhere; waiting …");
        await sleep(1000 * answer.retry_after);
      } else {
        this.finished.push(answer);
        this.current = null;
      }
      await this.refresh();
    }
    await this.refresh();
    this.setState("done", `the study is done: ${this.finished.length} trials ran here`);
  }

  onEvent(event) {
    if (event.type === "trial") {
      this.current = { trial: event.trial, token: event.token, params: {}, steps: 0 };
      const again = event.retry_of != null ? ` (trial ${event.retry_of} again)` : "";
      $("trial").textContent = `${event.trial}${again}`;
      $("params").tBodies[0].replaceChildren();
      $("reported").textContent = "";
      $("trial-progress").removeAttribute("value"); // running, length unknown
      this.setState("running", `running trial ${event.trial}`);
    } else if (event.type === "call" && this.current?.trial === event.trial) {
      this.showCall(event);
    } else if (event.type === "finished") {
      this.current = null;
      $("trial-progress").value = 1;
      this.addFinished(event);
    }
  }

  showCall({ method, args, value }) {
    if (method.startsWith("suggest_")) {
      this.current.params[args.name] = value;
      $("params").tBodies[0].append(row([args.name, format(value)]));
    } else if (method === "report") {
      this.current.steps += 1;
      $("reported").textContent = `step ${args.step}: ${format(args.value)}`;
    }
  }

  addFinished(r) {
    const tr = row([r.trial, r.state, format(r.value), r.seconds.toFixed(2),
                    Object.entries(r.params).map(([k, v]) => `${k}=${format(v)}`).join(", ")]);
    tr.className = r.state;
    $("done").tBodies[0].prepend(tr);
  }

  async heartbeat() {
    const current = this.current;
    if (!current) return;
    try {
      await postJSON(`/api/studies/${encodeURIComponent(this.summary.study)}/trials/` +
                     `${current.trial}/heartbeat`, { token: current.token });
    } catch (e) {
      // 409: the trial ended meanwhile; anything else the server will judge by the silence
      if (!e.message.includes(" 409 ")) {
        console.warn(`heartbeat of trial ${current.trial}: ${e.message}`);
      }
    }
  }

  // The study's counts; a server that is restarting answers later (the worker's own
  // calls wait for it), so a failed refresh only leaves the old numbers up.
  async refresh() {
    try {
      this.show(await getJSON("/api/study"));
    } catch (e) {
      console.warn(`the study's progress: ${e.message}`);
    }
  }

  show(summary) {
    this.summary = summary;
    $("finished").textContent = summary.finished;
    $("n-trials").textContent = summary.n_trials;
    $("study-progress").value = Math.min(1, summary.finished / summary.n_trials);
    const best = summary.best;
    $("best").textContent = best ? `${format(best.value)} (trial ${best.number})` : "–";
  }

  setState(state, text) {
    this.state = state;
    document.body.dataset.state = state;
    $("status").textContent = text;
  }
}

// The backend the URL asks for (?backend=webgl), else WebGPU when the browser gives an
// adapter, else WebGL2.
async function pickBackend(asked) {
  if (asked === "webgpu" || asked === "webgl") return asked;
  try {
    if (navigator.gpu && (await navigator.gpu.requestAdapter())) return "webgpu";
  } catch {
    // no usable WebGPU: WebGL2 below
  }
  return "webgl";
}

async function getJSON(url) {
  return answerOf(await fetch(url), url);
}

async function postJSON(url, body) {
  const init = { method: "POST", headers: { "Content-Type": "application/json" },
                 body: JSON.stringify(body) };
  return answerOf(await fetch(url, init), url);
}

async function answerOf(response, url) {
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(`${url}: ${response.status} ${body.error ?? ""}`);
  return body;
}

function row(cells) {
  const tr = document.createElement("tr");
  for (const cell of cells) {
    const td = document.createElement("td");
    td.textContent = String(cell);
    tr.append(td);
  }
  return tr;
}

function format(value) {
  if (typeof value === "number" && !Number.isInteger(value)) return value.toPrecision(5);
  return value == null ? "–" : String(value);
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

window.studyWorker = new StudyWorker();
window.studyWorker.start();
