// The AgentSwarm console: one page drawn from the HTTP API (/api/...). No framework and no build step: the console
// ships inside the engine's assembly, and a fresh clone needs only the .NET SDK.
"use strict";

const view = document.getElementById("view");
const colors = ["#2f5bea", "#e8590c", "#2e7d32", "#9c27b0", "#00838f", "#c62828", "#6d4c41"];
let closeCurrent = () => { };

// ---- small helpers ------------------------------------------------------------------------------------------------
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "html") el.innerHTML = v;
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

async function api(method, path, body) {
  const init = { method, headers: {} };
  if (body !== undefined) {
    if (typeof body === "string") { init.body = body; init.headers["content-type"] = "text/plain"; }
    else { init.body = JSON.stringify(body); init.headers["content-type"] = "application/json"; }
  }
  const response = await fetch("/api" + path, init);
  const text = await response.text();
  const data = text ? JSON.parse(text) : null;
  if (!response.ok) {
    const error = new Error((data && data.error) || `${response.status} ${response.statusText}`);
    error.status = response.status; error.data = data;
    throw error;
  }
  return data;
}

const fmt = (x, digits = 2) => x === null || x === undefined || Number.isNaN(x) ? "–" : Number(x).toLocaleString("en-US", { maximumFractionDigits: digits });
const seconds = s => s === undefined || s === null ? "–" : s < 60 ? `${fmt(s, 1)} s` : `${Math.floor(s / 60)} min ${fmt(s % 60, 0)} s`;
const pathOf = name => name.split("/").map(encodeURIComponent).join("/");
const stateBadge = state => h("span", { class: `state ${state}`, "data-state": state }, state);
const progress = (done, total) => h("div", { class: "bar", title: `${done}/${total}` }, h("div", { style: `width:${total ? Math.min(100, 100 * done / total) : 0}%` }));

function showError(target, error) {
  target.replaceChildren(h("p", { class: "error" }, error.message || String(error)));
}

// ---- charts (SVG) -------------------------------------------------------------------------------------------------
// series: [{ name, values: [[x, y], ...] }]
function lineChart(id, series, { width = 620, height = 240, xLabel = "round", empty = "no rounds yet" } = {}) {
  const pad = { l: 48, r: 12, t: 10, b: 30 };
  const all = series.flatMap(s => s.values).filter(p => Number.isFinite(p[1]));
  const svg = svgEl("svg", { id, viewBox: `0 0 ${width} ${height}`, width: "100%", role: "img" });
  if (all.length === 0) { svg.append(svgText(width / 2, height / 2, empty, "middle")); return wrapChart(svg, series); }
  const xs = all.map(p => p[0]), ys = all.map(p => p[1]);
  let [x0, x1] = [Math.min(...xs), Math.max(...xs)]; if (x0 === x1) { x0 -= 1; x1 += 1; }
  let [y0, y1] = [Math.min(0, ...ys), Math.max(...ys)]; if (y0 === y1) { y1 = y0 + 1; }
  const X = x => pad.l + (x - x0) / (x1 - x0) * (width - pad.l - pad.r);
  const Y = y => height - pad.b - (y - y0) / (y1 - y0) * (height - pad.t - pad.b);
  axes(svg, width, height, pad, [x0, x1], [y0, y1], X, Y, xLabel);
  series.forEach((s, i) => {
    const points = s.values.filter(p => Number.isFinite(p[1]));
    const color = s.color || colors[i % colors.length];
    svg.append(svgEl("polyline", { points: points.map(p => `${X(p[0])},${Y(p[1])}`).join(" "), fill: "none", stroke: color, "stroke-width": 2, "stroke-dasharray": s.dashed ? "5 4" : null, "data-series": s.name }));
    for (const p of points) svg.append(svgEl("circle", { cx: X(p[0]), cy: Y(p[1]), r: 3, fill: color }, svgEl("title", {}, `${s.name} ${xLabel === "round" ? "round " : ""}${fmt(p[0], 1)}${xLabel === "round" ? "" : " s"}: ${fmt(p[1], 3)}`)));
  });
  return wrapChart(svg, series);
}

function barChart(id, values, { width = 620, height = 240, label = i => i, onBar } = {}) {
  const pad = { l: 48, r: 12, t: 10, b: 30 };
  const svg = svgEl("svg", { id, viewBox: `0 0 ${width} ${height}`, width: "100%", role: "img" });
  if (!values || values.length === 0) { svg.append(svgText(width / 2, height / 2, "no data", "middle")); return svg; }
  const max = Math.max(1, ...values);
  const bw = (width - pad.l - pad.r) / values.length;
  const Y = y => height - pad.b - y / max * (height - pad.t - pad.b);
  axes(svg, width, height, pad, null, [0, max], null, Y);
  values.forEach((v, i) => {
    const bar = svgEl("rect", { x: pad.l + i * bw + 0.5, y: Y(v), width: Math.max(1, bw - 1), height: height - pad.b - Y(v), fill: colors[0], "data-bin": i }, svgEl("title", {}, `${label(i)}: ${fmt(v, 0)}`));
    if (onBar) { bar.style.cursor = "pointer"; bar.addEventListener("click", () => onBar(i)); }
    svg.append(bar);
  });
  const step = Math.ceil(values.length / 10);
  for (let i = 0; i < values.length; i += step) svg.append(svgText(pad.l + (i + 0.5) * bw, height - pad.b + 14, label(i), "middle"));
  return svg;
}

function axes(svg, width, height, pad, xRange, yRange, X, Y, xLabel) {
  svg.append(svgEl("line", { x1: pad.l, y1: height - pad.b, x2: width - pad.r, y2: height - pad.b, stroke: "#c5cbd6" }));
  svg.append(svgEl("line", { x1: pad.l, y1: pad.t, x2: pad.l, y2: height - pad.b, stroke: "#c5cbd6" }));
  for (let k = 0; k <= 4; k++) {
    const y = yRange[0] + (yRange[1] - yRange[0]) * k / 4;
    svg.append(svgEl("line", { x1: pad.l, y1: Y(y), x2: width - pad.r, y2: Y(y), stroke: "#eef0f4" }));
    svg.append(svgText(pad.l - 6, Y(y) + 4, fmt(y, Math.abs(yRange[1]) < 10 ? 2 : 0), "end"));
  }
  if (xRange) {
    const span = xRange[1] - xRange[0], step = Math.max(1, Math.ceil(span / 10));
    for (let x = Math.ceil(xRange[0]); x <= xRange[1]; x += step) svg.append(svgText(X(x), height - pad.b + 14, x, "middle"));
    svg.append(svgText(width - pad.r, height - 2, xLabel, "end"));
  }
}

function wrapChart(svg, series) {
  return h("div", {}, svg, h("div", { class: "legend" }, series.map((s, i) => h("span", {}, h("i", { style: `background:${s.color || colors[i % colors.length]}` }), s.name))));
}

function svgEl(tag, attrs, ...children) {
  const el = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v !== null && v !== undefined) el.setAttribute(k, v);
  for (const c of children) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}
const svgText = (x, y, text, anchor) => svgEl("text", { x, y, "text-anchor": anchor }, text);

// ---- what a round's statistics hold, per scenario -----------------------------------------------------------------
function trajectorySeries(rounds) {
  const pick = key => rounds.filter(r => r.stats && typeof r.stats[key] === "number").map(r => [r.round, r.stats[key]]);
  if (rounds.some(r => r.stats && "target" in r.stats)) return [{ name: "mean", values: pick("mean") }, { name: "median", values: pick("median") }, { name: "target", values: pick("target"), dashed: true }, { name: "winning guess", values: pick("winningGuess") }];
  if (rounds.some(r => r.stats && "score" in r.stats)) return [{ name: "score", values: pick("score") }];
  return [];
}

// ---- pages ----------------------------------------------------------------------------------------------------------
async function runsPage() {
  view.replaceChildren(h("h1", {}, "Runs"), h("div", { class: "card", id: "runs-card" }, "loading…"));
  const card = document.getElementById("runs-card");
  async function refresh() {
    let runs;
    try { runs = await api("GET", "/runs"); } catch (e) { showError(card, e); return; }
    if (runs.length === 0) { card.replaceChildren(h("p", { class: "muted" }, "No runs yet. ", h("a", { href: "#/scenarios" }, "Launch one"), ".")); return; }
    card.replaceChildren(h("table", { id: "runs" },
      h("thead", {}, h("tr", {}, ["run", "state", "progress", "rounds", "agents", "wall", "LLM calls", "tokens", ""].map((t, i) => h("th", { class: i >= 3 && i <= 7 ? "num" : null }, t)))),
      h("tbody", {}, runs.map(r => h("tr", { "data-run": r.id },
        h("td", {}, h("a", { href: `#/runs/${r.id}` }, r.id), h("div", { class: "muted" }, `${r.scenario} · ${r.policy || "?"}`)),
        h("td", {}, stateBadge(r.state)),
        h("td", {}, progress(r.roundsCompleted, r.roundsPlanned)),
        h("td", { class: "num" }, `${r.roundsCompleted}/${r.roundsPlanned}`),
        h("td", { class: "num" }, fmt(r.agents, 0)),
        h("td", { class: "num" }, seconds(r.wallSeconds)),
        h("td", { class: "num" }, r.llm ? fmt(r.llm.requests, 0) : "–"),
        h("td", { class: "num" }, r.llm ? fmt(r.llm.promptTokens + r.llm.outputTokens, 0) : "–"),
        h("td", { class: "row" },
          r.live ? h("button", { "data-action": "cancel", onclick: () => act(() => api("POST", `/runs/${r.id}/cancel`)) }, "Cancel") : null,
          r.resumable ? h("button", { "data-action": "resume", onclick: () => act(() => api("POST", `/runs/${r.id}/resume`)) }, "Resume") : null,
          !r.live ? h("button", { class: "danger", "data-action": "delete", onclick: () => { if (confirm(`Delete run ${r.id} and all its files (log, results, report)? This cannot be undone.`)) act(() => api("DELETE", `/runs/${r.id}?confirm=${encodeURIComponent(r.id)}`)); } }, "Delete") : null))))));
  }
  async function act(call) { try { await call(); } catch (e) { alert(e.message); } refresh(); }
  await refresh();
  const timer = setInterval(refresh, 1500);
  closeCurrent = () => clearInterval(timer);
}

async function scenariosPage(selected) {
  const list = h("div", { class: "scenario-list", id: "scenario-list" });
  const gutter = h("div", { class: "gutter", id: "gutter" });
  const text = h("textarea", { id: "yaml", spellcheck: "false", "aria-label": "scenario YAML" });
  const name = h("input", { id: "scenario-name", value: selected || "untitled.yaml", size: 32 });
  const errors = h("ul", { class: "errors", id: "errors" });
  const status = h("div", { id: "validation", class: "muted" });
  const field = (id, label, attrs = {}) => h("label", {}, label, h("input", { id, ...attrs }));
  const overrides = h("div", { class: "row" },
    field("agents", "agents", { type: "number", min: 1, placeholder: "file's" }),
    field("rounds", "rounds", { type: "number", min: 1, placeholder: "file's" }),
    field("seed", "seed", { type: "number", min: 0, placeholder: "file's" }),
    h("label", {}, "policy", h("select", { id: "policy" }, ["", "heuristic", "random", "dummy-latency", "llm"].map(p => h("option", { value: p }, p || "file's")))),
    field("partitions", "partitions", { type: "number", min: 0, placeholder: "auto" }),
    h("label", {}, "hosting", h("select", { id: "hosting" }, ["", "auto", "packed", "grain"].map(p => h("option", { value: p }, p || "file's")))),
    field("llm", "LLM endpoints (space-separated)", { size: 40, placeholder: "simulated=h100-llama3-8b" }));
  const launch = h("button", { class: "primary", id: "launch" }, "Launch");
  view.replaceChildren(h("h1", {}, "Scenarios & launch"), h("div", { class: "two" },
    h("div", { class: "card" }, h("h2", {}, "Files"), list, h("p", { class: "muted", id: "folder" })),
    h("div", {},
      h("div", { class: "card" },
        h("div", { class: "row" }, h("label", {}, "file", name), h("button", { id: "validate" }, "Validate"), h("button", { id: "save" }, "Save"), status),
        h("div", { class: "editor" }, gutter, text), errors),
      h("div", { class: "card" }, h("h2", {}, "Launch"), overrides, h("div", { class: "row" }, launch, h("span", { id: "launch-result" }))))));

  const lines = () => text.value.split("\n").length;
  let badLines = new Set();
  function drawGutter() {
    gutter.replaceChildren(...Array.from({ length: lines() }, (_, i) => h("div", { class: badLines.has(i + 1) ? "bad" : null, "data-line": i + 1 }, i + 1)));
    gutter.scrollTop = text.scrollTop;
  }
  text.addEventListener("input", () => { badLines = new Set(); drawGutter(); });
  text.addEventListener("scroll", () => { gutter.scrollTop = text.scrollTop; });

  function request() {
    const number = id => { const v = document.getElementById(id).value; return v === "" ? undefined : Number(v); };
    // As typed: a seed may pass 2^53, where a JavaScript number would round it to another seed.
    const digits = id => { const v = document.getElementById(id).value.trim(); return v === "" ? undefined : v; };
    const choice = id => document.getElementById(id).value || undefined;
    const llm = document.getElementById("llm").value.trim();
    return { scenario: name.value, yaml: text.value, agents: number("agents"), rounds: number("rounds"), seed: digits("seed"), policy: choice("policy"), partitions: number("partitions"), hosting: choice("hosting"), llm: llm ? llm.split(/\s+/) : undefined };
  }
  function showErrors(list) {
    badLines = new Set(list.filter(e => e.line > 0).map(e => e.line));
    errors.replaceChildren(...list.map(e => h("li", { class: "error", "data-line": e.line }, e.line > 0 ? h("a", { href: "javascript:void 0", onclick: () => goToLine(e.line) }, `line ${e.line}, column ${e.column}`) : "", e.line > 0 ? ": " : "", e.field ? `${e.field}: ` : "", e.problem)));
    drawGutter();
  }
  function goToLine(line) {
    const offsets = text.value.split("\n").slice(0, line - 1).reduce((n, l) => n + l.length + 1, 0);
    text.focus(); text.setSelectionRange(offsets, offsets); text.scrollTop = (line - 3) * 20;
  }
  async function validate() {
    try {
      const result = await api("POST", "/scenarios/validate", request());
      showErrors(result.errors);
      status.className = result.valid ? "ok" : "error";
      status.textContent = result.valid ? `valid: ${result.run.scenario}, ${fmt(result.run.agents, 0)} agents, ${result.run.rounds} rounds, policy ${result.run.policy}` : `${result.errors.length} problem(s)`;
      return result.valid;
    } catch (e) { status.className = "error"; status.textContent = e.message; return false; }
  }
  async function load(file) {
    name.value = file;
    try { text.value = (await api("GET", `/scenarios/${pathOf(file)}`)).yaml; } catch (e) { text.value = ""; status.textContent = e.message; }
    for (const a of list.querySelectorAll("a")) a.classList.toggle("selected", a.dataset.name === file);
    badLines = new Set(); errors.replaceChildren(); drawGutter(); status.textContent = "";
  }
  document.getElementById("validate").onclick = validate;
  document.getElementById("save").onclick = async () => {
    try { const r = await api("PUT", `/scenarios/${pathOf(name.value)}`, text.value); showErrors(r.errors); status.className = r.valid ? "ok" : "error"; status.textContent = r.valid ? "saved" : "saved, with problems"; refreshList(); }
    catch (e) { status.className = "error"; status.textContent = e.message; }
  };
  launch.onclick = async () => {
    const out = document.getElementById("launch-result");
    launch.disabled = true;
    try {
      if (!await validate()) { out.className = "error"; out.textContent = "not launched: fix the scenario first"; return; }
      const run = await api("POST", "/runs", request());
      location.hash = `#/runs/${run.id}`;
    } catch (e) {
      out.className = "error"; out.textContent = e.message;
      if (e.data && e.data.errors) showErrors(e.data.errors);
    } finally { launch.disabled = false; }
  };
  async function refreshList() {
    const data = await api("GET", "/scenarios");
    document.getElementById("folder").textContent = data.folder;
    list.replaceChildren(...data.scenarios.map(s => h("a", { href: "javascript:void 0", "data-name": s.name, class: s.name === name.value ? "selected" : null, onclick: () => load(s.name) }, s.name)));
  }
  await refreshList();
  if (selected) await load(selected); else drawGutter();
}

async function runPage(id) {
  const state = { run: null, rounds: [], llm: null, llmHistory: [], llmRounds: null, selectedRound: null };
  view.replaceChildren(
    h("div", { class: "row" }, h("h1", { id: "run-title" }, id)),
    h("div", { class: "card" },
      h("div", { class: "row" }, h("span", { id: "run-state" }), h("div", { id: "progress", style: "flex:1" }), h("span", { id: "run-numbers", class: "muted" }),
        h("button", { id: "cancel", class: "danger hidden" }, "Cancel"), h("button", { id: "resume", class: "hidden" }, "Resume")),
      h("p", { id: "run-error", class: "error" })),
    h("div", { class: "grid" },
      h("div", { class: "card" }, h("h2", {}, "Per round"), h("div", { id: "trajectory-box" })),
      h("div", { class: "card", id: "detail-card" }, h("h2", { id: "detail-title" }, "Round"), h("div", { class: "row" }, h("input", { type: "range", id: "round-slider", min: 1, max: 1, value: 1, style: "flex:1" }), h("span", { id: "round-label" })), h("div", { id: "detail-box" }))),
    h("div", { class: "card hidden", id: "llm-card" }, h("h2", {}, "LLM calls"), h("div", { id: "llm-box" })),
    h("div", { class: "card" }, h("h2", {}, "Rounds"), h("div", { style: "overflow:auto" }, h("table", { id: "rounds" }, h("thead"), h("tbody")))),
    h("div", { class: "grid" },
      h("div", { class: "card" }, h("h2", {}, "An agent"), h("div", { class: "row" }, h("input", { id: "agent-index", type: "number", min: 0, value: 0, size: 8 }), h("button", { id: "open-agent" }, "Open"))),
      h("div", { class: "card" }, h("h2", {}, "Verify, report, compare"),
        h("div", { class: "row" }, h("button", { id: "verify" }, "Verify (replay)"), h("button", { id: "report" }, "Report files"), h("a", { class: "button", href: `#/compare/${id}` }, "Compare with…")),
        h("div", { id: "verify-result" }), h("ul", { id: "files" }))),
    h("div", { class: "card hidden", id: "placement-card" }, h("h2", {}, "Placement"), h("div", { id: "placement" })));

  const slider = document.getElementById("round-slider");
  slider.oninput = () => { state.selectedRound = Number(slider.value); drawDetail(); };
  document.getElementById("open-agent").onclick = () => { location.hash = `#/runs/${id}/agents/${document.getElementById("agent-index").value || 0}`; };
  document.getElementById("cancel").onclick = async () => { try { await api("POST", `/runs/${id}/cancel`); } catch (e) { alert(e.message); } };
  document.getElementById("resume").onclick = async () => { try { await api("POST", `/runs/${id}/resume`); runPage(id); } catch (e) { alert(e.message); } };
  document.getElementById("verify").onclick = async () => {
    const out = document.getElementById("verify-result");
    out.replaceChildren(h("span", { class: "muted" }, "replaying from the log…"));
    try {
      const v = await api("POST", `/runs/${id}/verify`);
      out.replaceChildren(h("p", { class: v.verified ? "ok" : "error", id: "verified" }, v.verified ? `verified: all ${v.rounds.length} rounds match the recording` : `verification failed: ${v.problems.length} problem(s)`),
        h("table", {}, h("thead", {}, h("tr", {}, ["round", "recorded hash", "replayed hash", "statistics"].map(t => h("th", {}, t)))),
          h("tbody", {}, v.rounds.map(r => h("tr", {}, h("td", {}, r.round), h("td", {}, r.recordedHash), h("td", { class: r.sameHash ? "ok" : "error" }, r.replayedHash), h("td", { class: r.sameStats ? "ok" : "error" }, r.sameStats ? "same" : "differ"))))),
        ...v.problems.map(p => h("p", { class: "error" }, p)));
    } catch (e) { showError(out, e); }
  };
  document.getElementById("report").onclick = async () => {
    const out = document.getElementById("files");
    try { await api("POST", `/runs/${id}/report`); } catch (e) { if (e.status !== 409) { showError(out, e); return; } }
    drawFiles(await api("GET", `/runs/${id}/files`));
  };
  function drawFiles(files) {
    document.getElementById("files").replaceChildren(...files.map(f => h("li", {}, h("a", { href: `/api/runs/${id}/files/${pathOf(f.name)}`, target: f.name.endsWith(".png") ? "_blank" : null }, f.name), h("span", { class: "muted" }, ` ${fmt(f.bytes / 1024, 1)} KiB`))));
  }

  function drawRun() {
    const r = state.run; if (!r) return;
    document.getElementById("run-title").textContent = `${r.scenario} · ${r.id}`;
    document.getElementById("run-state").replaceChildren(stateBadge(r.state));
    document.getElementById("progress").replaceChildren(progress(r.roundsCompleted + (r.live && r.agents ? r.currentRoundAgentsDone / r.agents : 0), r.roundsPlanned));
    document.getElementById("run-numbers").textContent = `round ${r.roundsCompleted}/${r.roundsPlanned} · ${fmt(r.agents, 0)} agents · ${r.policy} · ${seconds(r.wallSeconds)}`;
    document.getElementById("run-error").textContent = r.error || "";
    document.getElementById("cancel").classList.toggle("hidden", !r.live);
    document.getElementById("resume").classList.toggle("hidden", !r.resumable);
    document.getElementById("agent-index").max = Math.max(0, r.agents - 1);
  }
  function drawRounds() {
    const rounds = state.rounds;
    document.getElementById("trajectory-box").replaceChildren(lineChart("trajectory", trajectorySeries(rounds)));
    const columns = rounds.length ? Object.entries(rounds[0].stats || {}).filter(([, v]) => typeof v === "number").map(([k]) => k) : [];
    const table = document.getElementById("rounds");
    table.tHead.replaceChildren(h("tr", {}, ["round", "seconds", "agent steps", "messages", ...columns].map(t => h("th", { class: "num" }, t))));
    table.tBodies[0].replaceChildren(...rounds.map(r => h("tr", { "data-round": r.round }, [r.round, fmt(r.seconds, 3), fmt(r.agentSteps, 0), fmt(r.messages, 0), ...columns.map(c => fmt(r.stats[c], 3))].map(v => h("td", { class: "num" }, v)))));
    slider.max = Math.max(1, rounds.length);
    if (state.selectedRound === null || state.selectedRound === rounds.length - 1) state.selectedRound = rounds.length;
    slider.value = state.selectedRound;
    drawDetail();
  }
  function drawDetail() {
    const round = state.rounds[(state.selectedRound || 1) - 1];
    const box = document.getElementById("detail-box");
    document.getElementById("round-label").textContent = round ? `round ${round.round} of ${state.rounds.length}` : "";
    if (!round) { box.replaceChildren(h("p", { class: "muted" }, "waiting for the first round…")); return; }
    const s = round.stats || {};
    if (Array.isArray(s.histogram)) {
      document.getElementById("detail-title").textContent = "Guesses this round";
      // Bins split [0, the game's max] evenly; label them by their share of it.
      const bins = s.histogram.length;
      // A bar's agents, from the run's log: click one to list who guessed in it, each a link to the agent.
      const binAgents = h("div", { id: "bin-agents", class: "muted" }, "click a bar to list its agents");
      const listBin = async i => {
        binAgents.replaceChildren(`loading the agents of bar ${i + 1}…`);
        try {
          const d = await api("GET", `/runs/${id}/rounds/${round.round}/agents?bin=${i}&limit=200`);
          binAgents.replaceChildren(h("strong", {}, `${fmt(d.count, 0)} agents in bar ${i + 1} (${fmt(100 * i / bins, 0)}–${fmt(100 * (i + 1) / bins, 0)}%) of round ${d.round}`),
            d.count > d.agents.length ? ` (the first ${d.agents.length})` : "", ": ",
            ...d.agents.map(a => h("a", { href: `#/runs/${id}/agents/${a.agent}`, "data-agent": a.agent, title: `agent ${a.agent} guessed ${fmt(a.number, 3)}` }, `${a.agent} `)));
        } catch (e) { binAgents.replaceChildren(h("span", { class: "error" }, e.message)); }
      };
      box.replaceChildren(barChart("histogram", s.histogram, { label: i => `${fmt(100 * i / bins, 0)}%`, onBar: listBin }), binAgents,
        h("div", { class: "kv" }, h("div", {}, "target (2/3 of the mean)"), h("div", {}, fmt(s.target, 3)), h("div", {}, "mean / median"), h("div", {}, `${fmt(s.mean, 3)} / ${fmt(s.median, 3)}`), h("div", {}, "winning guess"), h("div", {}, `${fmt(s.winningGuess, 3)} (${fmt(s.winners, 0)} winners)`), h("div", {}, "invalid answers"), h("div", {}, fmt(s.invalid, 0))));
    } else if (Array.isArray(s.answers)) {
      document.getElementById("detail-title").textContent = "Answers this round";
      const counts = {};
      for (const a of s.answers) counts[a ?? "(none)"] = (counts[a ?? "(none)"] || 0) + 1;
      box.replaceChildren(h("div", { class: "kv" }, h("div", {}, "task"), h("div", {}, s.task), h("div", {}, "score"), h("div", { id: "score" }, fmt(s.score, 3)), h("div", {}, "decided"), h("div", {}, `${s.decided}/${s.agents}`)),
        h("table", {}, h("thead", {}, h("tr", {}, h("th", {}, "answer"), h("th", { class: "num" }, "agents"))), h("tbody", {}, Object.entries(counts).map(([a, n]) => h("tr", {}, h("td", {}, a), h("td", { class: "num" }, n))))),
        h("p", { class: "muted" }, "agents: ", ...s.answers.slice(0, 64).map((a, i) => h("a", { href: `#/runs/${id}/agents/${i}`, title: `agent ${i}: ${a}` }, `${i}:${a ?? "–"} `))));
    } else {
      document.getElementById("detail-title").textContent = "Statistics this round";
      box.replaceChildren(h("div", { class: "kv" }, Object.entries(s).filter(([, v]) => typeof v !== "object").flatMap(([k, v]) => [h("div", {}, k), h("div", {}, typeof v === "number" ? fmt(v, 3) : v)])));
    }
  }
  function drawLlm() {
    const l = state.llm;
    // A run that is not live: its calls by round, from its log (a live run's charts follow the pool's counters).
    const perRound = state.run && !state.run.live && state.llmRounds && state.llmRounds.length ? state.llmRounds : null;
    if (!l && !perRound) return;
    document.getElementById("llm-card").classList.remove("hidden");
    const hist = state.llmHistory;
    // While it goes, between the first and last readings; a run that ended before the page opened, over its wall time.
    const rate = hist.length > 1 ? (hist[hist.length - 1].calls - hist[0].calls) / Math.max(0.001, (hist[hist.length - 1].t - hist[0].t) / 1000)
      : state.run && !state.run.live && state.run.wallSeconds > 0 && l ? l.requests / state.run.wallSeconds : 0;
    const box = document.getElementById("llm-box");
    box.dataset.by = perRound ? "round" : "seconds";
    box.replaceChildren(l ? h("div", { class: "kv", id: "llm-numbers" },
      h("div", {}, "calls"), h("div", {}, `${fmt(l.requests, 0)} (${fmt(l.completed, 0)} completed, ${fmt(l.failed, 0)} failed, ${fmt(l.retries, 0)} retries, ${fmt(l.cacheHits, 0)} cache hits)`),
      h("div", {}, "calls per second"), h("div", {}, fmt(rate, 1)),
      h("div", {}, "tokens"), h("div", {}, `${fmt(l.promptTokens, 0)} prompt (${fmt(l.cachedPromptTokens, 0)} cached) + ${fmt(l.outputTokens, 0)} output`),
      h("div", {}, "latency p50 / p95 / p99"), h("div", {}, `${fmt(l.latencyP50Ms, 0)} / ${fmt(l.latencyP95Ms, 0)} / ${fmt(l.latencyP99Ms, 0)} ms`),
      h("div", {}, "simulated GPU busy"), h("div", {}, seconds(l.simulatedGpuSeconds))) : null,
      h("div", { class: "grid" }, ...(perRound ? llmRoundCharts(perRound, l) : llmCharts(hist))));
  }
  // A finished run's calls by round (GET /api/runs/ID/llm-rounds): calls per second of each round's wall time, each
  // round's tokens, its latency percentiles. The log has no GPU time, so GPU busy is the run's total, not a series.
  function llmRoundCharts(rounds, l) {
    const pick = key => rounds.map(r => [r.round, r[key] ?? NaN]);
    const chart = (title, id, series) => h("div", { style: "max-width:640px" }, h("h3", {}, title), lineChart(id, series, { height: 200 }));
    return [
      chart("Calls per second", "llm-rate", [{ name: "calls/s", values: pick("callsPerSecond") }]),
      chart("Tokens per round", "llm-tokens", [{ name: "prompt", values: pick("promptTokens") }, { name: "output", values: pick("outputTokens") }]),
      chart("Latency (ms)", "llm-latency", [["p50", "latencyP50Ms"], ["p95", "latencyP95Ms"], ["p99", "latencyP99Ms"]].map(([name, key]) => ({ name, values: pick(key) }))),
      h("div", { style: "max-width:640px" }, h("h3", {}, "Simulated GPU busy (s)"),
        h("p", { class: "muted", id: "llm-gpu" }, l && l.simulatedGpuSeconds > 0 ? `${seconds(l.simulatedGpuSeconds)} over the whole run. ` : "",
          "Not drawn by round: the event log records each call's tokens and latency, not the GPU time that served it (a live run draws it from the pool's counters).")),
    ];
  }
  // Each as the pool's counters arrive: calls per second between two readings, tokens so far, latency percentiles, GPU busy.
  function llmCharts(hist) {
    const at = p => (p.t - hist[0].t) / 1000, opts = { height: 200, xLabel: "seconds", empty: "drawn while the run goes" };
    const perSecond = hist.slice(1).map((p, i) => [at(p), (p.calls - hist[i].calls) / Math.max(0.001, (p.t - hist[i].t) / 1000)]);
    const chart = (title, id, series) => h("div", { style: "max-width:640px" }, h("h3", {}, title), lineChart(id, series, opts));
    return [
      chart("Calls per second", "llm-rate", [{ name: "calls/s", values: perSecond }]),
      chart("Tokens", "llm-tokens", [{ name: "prompt", values: hist.map(p => [at(p), p.prompt]) }, { name: "output", values: hist.map(p => [at(p), p.output]) }]),
      chart("Latency (ms)", "llm-latency", ["p50", "p95", "p99"].map(k => ({ name: k, values: hist.map(p => [at(p), p[k]]) }))),
      chart("Simulated GPU busy (s)", "llm-gpu", [{ name: "GPU busy", values: hist.map(p => [at(p), p.gpu]) }]),
    ];
  }
  async function drawPlacement() {
    try {
      const detail = await api("GET", `/runs/${id}`);
      if (!detail.placement) return;
      const p = detail.placement, bySilo = {};
      p.partitionSilos.forEach((s, i) => (bySilo[s] = bySilo[s] || []).push(i));
      document.getElementById("placement-card").classList.remove("hidden");
      document.getElementById("placement").replaceChildren(h("div", { class: "kv" }, h("div", {}, "controller"), h("div", {}, p.controllerSilo),
        ...Object.entries(bySilo).flatMap(([s, parts]) => [h("div", {}, s), h("div", {}, `partitions ${parts.join(", ")}`)])),
        ...p.recoveries.map(r => h("p", { class: "error" }, `recovered: ${JSON.stringify(r)}`)));
    } catch { /* the run may have been released */ }
  }

  const source = new EventSource(`/api/runs/${id}/events`);
  closeCurrent = () => source.close();
  source.addEventListener("run", e => { state.run = JSON.parse(e.data); drawRun(); });
  // By round number: after a reconnect the stream sends every round again.
  // Placement changes when a silo is lost mid-run: looked at again as rounds finish, at most every 2 s.
  let placementAt = 0;
  const refreshPlacement = () => { if (Date.now() - placementAt > 2000) { placementAt = Date.now(); drawPlacement(); } };
  source.addEventListener("round", e => { const r = JSON.parse(e.data); state.rounds[r.round - 1] = r; drawRounds(); refreshPlacement(); });
  const addLlm = l => {
    state.llm = l;
    state.llmHistory.push({ t: Date.now(), calls: l.requests, prompt: l.promptTokens, output: l.outputTokens, p50: l.latencyP50Ms, p95: l.latencyP95Ms, p99: l.latencyP99Ms, gpu: l.simulatedGpuSeconds });
    drawLlm();
  };
  source.addEventListener("llm", e => addLlm(JSON.parse(e.data)));
  source.addEventListener("end", e => {
    state.run = JSON.parse(e.data); source.close(); drawRun(); drawRounds();
    if (state.run.llm) addLlm(state.run.llm);
    api("GET", `/runs/${id}/llm-rounds`).then(r => { state.llmRounds = r; drawLlm(); }).catch(() => { });
    api("GET", `/runs/${id}/files`).then(drawFiles).catch(() => { });
  });
  source.onerror = () => { if (!state.run) { showError(view, new Error(`no run '${id}'`)); source.close(); } };
  drawRounds();
  drawPlacement();
}

async function agentPage(id, agent) {
  const round = new URLSearchParams(location.hash.split("?")[1] || "").get("round");
  view.replaceChildren(h("div", { class: "row" }, h("a", { href: `#/runs/${id}` }, "← run"), h("h1", {}, `Agent ${agent}`), h("span", { class: "muted" }, id)),
    h("div", { class: "row" }, h("button", { onclick: () => location.hash = `#/runs/${id}/agents/${Math.max(0, agent - 1)}` }, "← previous"), h("button", { onclick: () => location.hash = `#/runs/${id}/agents/${agent + 1}` }, "next →")),
    h("div", { id: "agent-box" }, "loading…"));
  const box = document.getElementById("agent-box");
  let a;
  try { a = await api("GET", `/runs/${id}/agents/${agent}${round ? `?round=${round}` : ""}`); } catch (e) { showError(box, e); return; }
  const messages = list => list.map(m => h("div", { class: `msg ${m.role}` }, h("div", { class: "muted" }, m.role), h("pre", {}, m.text)));
  box.replaceChildren(h("div", {},
    h("div", { class: "card" }, h("div", { class: "kv" },
      h("div", {}, "partition"), h("div", {}, a.partition ?? "–"),
      h("div", {}, "neighbours"), h("div", { id: "neighbours" }, a.neighbours ? (a.neighbours.length ? a.neighbours.map(n => h("a", { href: `#/runs/${id}/agents/${n}` }, `${n} `)) : "none") : "no snapshots in the log (run with --snapshot-every N to keep agents' memories)"))),
    a.live ? h("div", { class: "card" }, h("h2", {}, `Now (live, after round ${a.live.lastRound})`), a.live.memory && a.live.memory.length ? h("pre", {}, a.live.memory.join("\n")) : null, a.live.transcript ? h("div", { id: "transcript" }, messages(a.live.transcript)) : null) : null,
    h("div", { id: "agent-rounds" }, a.rounds.map(r => h("div", { class: "card", "data-round": r.round },
      h("h2", {}, `Round ${r.round}`),
      h("div", { class: "muted" }, `inbox (${r.inbox.length})`), ...r.inbox.map(m => h("pre", {}, `from ${m.agent}: ${m.text}`)),
      ...r.calls.map(c => h("div", { class: "llm-call" }, h("div", { class: "muted" }, `LLM call ${c.sequence + 1} · ${c.endpoint || "no endpoint"} · ${c.promptTokens} + ${c.outputTokens} tokens · ${fmt(c.latencyMs, 0)} ms · ${c.retries} retries${c.cached ? " · cached" : ""}`),
        messages(c.prompt), h("div", { class: "msg assistant" }, h("div", { class: "muted" }, "response"), h("pre", { class: c.response === null ? "error" : null }, c.response ?? `failed: ${c.error}`)))),
      r.number !== null ? h("p", {}, h("b", {}, "action: "), fmt(r.number, 6), r.text ? ` "${r.text}"` : "") : null,
      r.sent.length ? h("div", {}, h("div", { class: "muted" }, `sent (${r.sent.length})`), ...r.sent.map(m => h("pre", {}, `to ${m.agent}: ${m.text}`))) : null,
      r.memory ? h("div", {}, h("div", { class: "muted" }, "memory"), h("pre", {}, r.memory.join("\n"))) : null)))));
}

async function comparePage(a, b) {
  const runs = await api("GET", "/runs");
  const select = (sid, value) => h("select", { id: sid }, h("option", { value: "" }, "choose a run"), runs.map(r => h("option", { value: r.id, selected: r.id === value ? true : null }, `${r.id} (${r.state})`)));
  view.replaceChildren(h("h1", {}, "Compare runs"), h("div", { class: "card row" }, select("compare-a", a), select("compare-b", b), h("button", { id: "compare-go", onclick: () => { location.hash = `#/compare/${document.getElementById("compare-a").value}/${document.getElementById("compare-b").value}`; } }, "Compare")), h("div", { id: "compare-box" }));
  if (!a || !b) return;
  const box = document.getElementById("compare-box");
  try {
    const [ra, rb] = await Promise.all([api("GET", `/runs/${a}/rounds`), api("GET", `/runs/${b}/rounds`)]);
    const sa = trajectorySeries(ra), sb = trajectorySeries(rb);
    const charts = sa.map((s, i) => h("div", { class: "card" }, h("h2", {}, s.name), lineChart(`compare-${s.name.replace(/\W/g, "-")}`, [{ name: `A: ${a}`, values: s.values, color: colors[0] }, { name: `B: ${b}`, values: (sb[i] || { values: [] }).values, color: colors[1] }])));
    const wall = (r) => r.reduce((t, x) => t + x.seconds, 0);
    box.replaceChildren(h("div", { class: "grid" }, charts.length ? charts : h("p", { class: "muted" }, "these runs have no per-round series in common")),
      h("div", { class: "card" }, h("table", { id: "compare-table" }, h("thead", {}, h("tr", {}, h("th", {}, ""), h("th", {}, "A"), h("th", {}, "B"))),
        h("tbody", {}, h("tr", {}, h("td", {}, "rounds"), h("td", {}, ra.length), h("td", {}, rb.length)), h("tr", {}, h("td", {}, "round seconds"), h("td", {}, fmt(wall(ra), 3)), h("td", {}, fmt(wall(rb), 3)))))));
  } catch (e) { showError(box, e); }
}

// ---- routing ---------------------------------------------------------------------------------------------------------
async function route() {
  closeCurrent(); closeCurrent = () => { };
  const path = location.hash.replace(/^#/, "").split("?")[0] || "/";
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  for (const a of document.querySelectorAll("[data-nav]")) a.classList.toggle("active", a.dataset.nav === (parts[0] === "scenarios" ? "scenarios" : parts[0] === "compare" ? "compare" : "runs"));
  try {
    if (parts.length === 0) await runsPage();
    else if (parts[0] === "scenarios") await scenariosPage(parts.slice(1).join("/") || null);
    else if (parts[0] === "compare") await comparePage(parts[1], parts[2]);
    else if (parts[0] === "runs" && parts[2] === "agents") await agentPage(parts[1], Number(parts[3]));
    else if (parts[0] === "runs" && parts[1]) await runPage(parts[1]);
    else view.replaceChildren(h("p", { class: "error" }, `no page ${path}`));
  } catch (e) { showError(view, e); }
}
window.addEventListener("hashchange", route);
api("GET", "/info").then(info => { if (info.orleansDashboard) document.getElementById("orleans-link").classList.remove("hidden"); }).catch(() => { });
route();
