// recipe planner: the page sends text and knob values, the server answers with
// problems, variables and charts computed by recipe-compiler itself; nothing
// here computes a schedule. The latest edit wins: each request carries a
// sequence number and answers to older ones are dropped (and aborted).
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const token = document.body.dataset.token;
  const text = $("text");
  const gutter = $("gutter");
  const charts = $("charts");
  const stats = { edits: 0, draws: 0, lastEditAt: 0, lastDrawAt: 0, latencies: [] };
  window.planner = stats;
  let base = document.body.dataset.digest; // the file version this text started from
  let savedText = text.value; // what the file holds, as far as the page knows
  const dirty = () => text.value !== savedText;
  let seq = 0;
  let drawnSeq = 0;
  let inflight = null;
  let timer = null;
  let quiet = false; // a text change made here (a knob) needs no second request
  let problems = [];

  async function call(path, body, signal) {
    const r = await fetch(path, {
      method: body === undefined ? "GET" : "POST",
      headers: { "content-type": "application/json", "x-planner-token": token },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: signal,
      credentials: "same-origin",
    });
    let data = null;
    try { data = await r.json(); } catch (e) { data = { refused: r.status + " " + r.statusText }; }
    return { status: r.status, data: data };
  }

  function settings() {
    const spe = parseInt($("spe").value, 10);
    return {
      steps_per_epoch: Number.isFinite(spe) && spe > 0 ? spe : undefined,
      dialect: $("dialect").value,
    };
  }

  function status(msg, bad) {
    $("status").textContent = (dirty() ? "● unsaved · " : "") + msg;
    $("status").className = bad ? "bad" : "";
  }

  // --- the editor: line numbers and problem markers beside a textarea ---
  function lines() { return text.value.split("\n").length; }

  function drawGutter() {
    const n = lines();
    const bySev = {};
    const order = { error: 3, warning: 2, info: 1 };
    for (const p of problems) {
      const cur = bySev[p.line];
      if (!cur || order[p.severity] > order[cur.severity]) bySev[p.line] = { severity: p.severity, list: [] };
    }
    for (const p of problems) if (bySev[p.line]) bySev[p.line].list.push(p);
    const parts = [];
    for (let i = 1; i <= n; i++) {
      const m = bySev[i];
      if (m) {
        const title = m.list.map((p) => p.code + " " + p.severity + ": " + p.message + (p.hint ? "\nhint: " + p.hint : "")).join("\n\n");
        parts.push('<div class="marker ' + m.severity + '" data-line="' + i + '" title="' + esc(title) + '">' + i + "</div>");
      } else {
        parts.push("<div>" + i + "</div>");
      }
    }
    gutter.innerHTML = parts.join("");
    gutter.scrollTop = text.scrollTop;
  }

  function esc(s) {
    return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
  }

  function goToLine(line) {
    const all = text.value.split("\n");
    let start = 0;
    for (let i = 0; i < line - 1 && i < all.length; i++) start += all[i].length + 1;
    const end = start + (all[line - 1] || "").length;
    text.focus();
    text.setSelectionRange(start, end);
    text.scrollTop = Math.max(0, (line - 4) * 18);
    gutter.scrollTop = text.scrollTop;
  }

  // a knob's edit as one undoable step: only the span that differs is
  // replaced (the editor's insertText over the whole text costs ~0.3 s)
  function replaceText(value) {
    const old = text.value;
    if (value === old) return;
    let start = 0;
    const short = Math.min(old.length, value.length);
    while (start < short && old.charCodeAt(start) === value.charCodeAt(start)) start++;
    let end = 0;
    while (end < short - start &&
           old.charCodeAt(old.length - 1 - end) === value.charCodeAt(value.length - 1 - end)) end++;
    const keep = { top: text.scrollTop, left: text.scrollLeft };
    quiet = true;
    text.focus({ preventScroll: true });
    text.setSelectionRange(start, old.length - end);
    const middle = value.slice(start, value.length - end);
    const done = document.execCommand && document.execCommand("insertText", false, middle);
    if (!done || text.value !== value) text.value = value;
    text.scrollTop = keep.top;
    text.scrollLeft = keep.left;
    quiet = false;
    drawGutter();
  }

  // --- the state: problems, knobs, charts ---
  function drawProblems(state) {
    problems = state.problems || [];
    const list = $("problem-list");
    list.innerHTML = "";
    if (!problems.length) {
      list.innerHTML = "<li class=\"hint\">no problems</li>";
    }
    for (const p of problems) {
      const li = document.createElement("li");
      li.className = "problem " + p.severity;
      li.dataset.line = p.line;
      li.innerHTML = '<a href="#" data-line="' + p.line + '">line ' + p.line + ":" + p.column + "</a> " +
        '<span class="sev ' + p.severity + '">' + esc(p.code) + " " + p.severity + "</span> " + esc(p.message) +
        (p.hint ? ' <span class="hint">hint: ' + esc(p.hint) + "</span>" : "");
      list.appendChild(li);
    }
    drawGutter();
  }

  function drawKnobs(state) {
    const box = $("knobs");
    const vars = state.variables || [];
    const names = vars.map((v) => v.name + "|" + v.stage).join(",");
    if (box.dataset.names !== names) {
      box.innerHTML = vars.length ? "<h2>Variables</h2>" : "";
      for (const v of vars) {
        const d = document.createElement("div");
        d.className = "knob";
        const id = "knob-" + v.name + (v.stage ? "-" + v.stage : "");
        const places = v.places > 1 ? " (" + v.places + " places)" : "";
        const label = v.name + (v.stage ? " (" + v.stage + ")" : "") + places + (v.line ? " · line " + v.line : "");
        d.innerHTML = '<label for="' + esc(id) + '">' + esc(label) + "</label>";
        const input = document.createElement("input");
        input.id = id;
        input.name = v.name;
        if (v.numeric) input.type = "number";
        if (!v.editable) input.readOnly = true;
        input.addEventListener("change", () => {
          if (input.value === "" || (input.validity && input.validity.badInput)) {
            status("give " + v.name + " a value (the text is unchanged)", true);
            return;
          }
          knob({ variable: { name: v.name, value: input.value } });
        });
        d.appendChild(input);
        if (v.why) {
          const why = document.createElement("div");
          why.className = "why hint";
          why.textContent = v.why;
          d.appendChild(why);
        }
        box.appendChild(d);
      }
      box.dataset.names = names;
    }
    for (const v of vars) {
      const input = box.querySelector('input[name="' + CSS.escape(v.name) + '"]');
      if (!input) continue;
      if (v.numeric) { // (the range follows the value: a rescale moves it)
        input.step = v.step;
        if (v.min !== undefined) input.min = v.min;
        if (v.max !== undefined) input.max = v.max;
      }
      if (document.activeElement !== input) input.value = v.value === null ? "" : v.value;
    }
    const ep = $("epochs");
    if (state.epochs && document.activeElement !== ep) {
      ep.value = state.epochs.dense;
      ep.disabled = false;
    } else if (!state.epochs) {
      ep.disabled = true;
    }
  }

  function drawCharts(state) {
    if (!state.parsed) {
      charts.classList.add("stale");
      return;
    }
    charts.classList.remove("stale");
    const want = (state.figures || []).map((f) => "chart-" + f.id);
    for (const el of Array.from(charts.children)) {
      if (!want.includes(el.id)) { Plotly.purge(el); el.remove(); }
    }
    for (const f of state.figures || []) {
      let el = $("chart-" + f.id);
      if (!el) {
        el = document.createElement("div");
        el.id = "chart-" + f.id;
        el.className = "chart";
        charts.appendChild(el);
      }
      Plotly.react(el, f.data, Object.assign({}, f.layout, { autosize: true }), { responsive: true, displaylogo: false });
    }
  }

  function draw(state, mySeq) {
    if (mySeq < drawnSeq) return; // an older answer: a newer one is drawn
    drawnSeq = mySeq;
    drawProblems(state);
    if (state.parsed) drawKnobs(state); // (a text that does not parse keeps them)
    $("note").textContent = state.note || "";
    const speed = $("speed");
    if (state.speed) {
      speed.hidden = false;
      speed.innerHTML = "<strong>Measured on this CPU</strong>: " + esc(state.speed.message) +
        (state.speed.hint ? ' <span class="hint">' + esc(state.speed.hint) + "</span>" : "");
    } else if (state.parsed) {
      speed.hidden = true;
    }
    drawCharts(state);
    const errors = state.errors || 0;
    status(state.parsed ? (errors ? errors + " error(s)" : "clean") + " · " + state.dialect : "does not parse", !state.parsed || errors > 0);
    stats.draws += 1;
    stats.lastDrawAt = performance.now();
    if (stats.lastEditAt) stats.latencies.push(stats.lastDrawAt - stats.lastEditAt);
  }

  async function refresh() {
    const mine = ++seq;
    if (inflight) inflight.abort();
    inflight = new AbortController();
    try {
      const r = await call("/api/state", Object.assign({ text: text.value }, settings()), inflight.signal);
      if (mine !== seq) return;
      if (r.status !== 200) { status(r.data.refused || "refused", true); return; }
      draw(r.data, mine);
    } catch (e) {
      if (e.name !== "AbortError") status("the planner stopped answering", true);
    }
  }

  function edited() {
    $("refusal").textContent = "";
    stats.edits += 1;
    stats.lastEditAt = performance.now();
    clearTimeout(timer);
    timer = setTimeout(refresh, 40);
  }

  async function knob(change) {
    stats.edits += 1;
    stats.lastEditAt = performance.now();
    clearTimeout(timer);
    const mine = ++seq;
    if (inflight) inflight.abort();
    inflight = new AbortController();
    try {
      const r = await call("/api/edit", Object.assign({ text: text.value }, settings(), change), inflight.signal);
      if (mine !== seq) return;
      if (r.status !== 200) { status(r.data.refused || "refused", true); return; }
      if (r.data.refused) {
        $("refusal").textContent = r.data.refused;
        draw(r.data.state, mine);
        return;
      }
      $("refusal").textContent = "";
      const t1 = performance.now();
      replaceText(r.data.text);
      const t2 = performance.now();
      draw(r.data.state, mine);
      stats.parts = { request: t1 - stats.lastEditAt, text: t2 - t1, draw: performance.now() - t2 };
    } catch (e) {
      if (e.name !== "AbortError") status("the planner stopped answering", true);
    }
  }

  // --- saving ---
  // a save's request (the page's settings with it, for lint); null, said,
  // when the planner no longer answers
  async function send(path, body) {
    try {
      return await call(path, Object.assign(body, settings()));
    } catch (e) {
      status("not saved: the planner stopped answering", true);
      return null;
    }
  }

  async function save(force) {
    status("saving…");
    const sent = text.value;
    const r = await send("/api/save", { text: sent, base: base, force: !!force });
    if (!r) return;
    if (r.status === 200) {
      base = r.data.digest;
      savedText = sent;
      $("refusal").textContent = "";
      status("saved " + r.data.name);
    } else if (r.status === 409) {
      $("conflict").style.display = "block";
      $("conflict").dataset.text = r.data.text;
      $("conflict").dataset.digest = r.data.digest;
      status("not saved: the file changed on disk", true);
    } else {
      const list = (r.data.problems || []).map((p) => "line " + p.line + ": " + p.code + " " + p.message);
      $("refusal").textContent = "Not saved: " + (r.data.refused || r.status) + (list.length ? ": " + list.join("; ") : "");
      status("not saved", true);
    }
  }

  async function saveAs() {
    const name = $("saveas-name").value.trim();
    if (!name) { status("save as: type a new file name", true); return; }
    const sent = text.value;
    const r = await send("/api/save_as", { text: sent, name: name });
    if (!r) return;
    if (r.status === 200) {
      base = r.data.digest;
      savedText = sent;
      $("name").textContent = r.data.name;
      $("name").title = r.data.path;
      document.title = r.data.name + " · recipe planner";
      $("refusal").textContent = "";
      status("saved as " + r.data.name);
    } else {
      $("refusal").textContent = "Not saved: " + (r.data.refused || r.status);
      status("not saved", true);
    }
  }

  $("conflict-reload").addEventListener("click", async () => {
    $("conflict").style.display = "none";
    const r = await call("/api/file");
    if (r.status === 200) { base = r.data.digest; savedText = r.data.text; replaceText(r.data.text); edited(); status("reloaded from disk"); }
  });
  $("conflict-overwrite").addEventListener("click", () => { $("conflict").style.display = "none"; save(true); });
  $("conflict-cancel").addEventListener("click", () => { $("conflict").style.display = "none"; });
  $("save").addEventListener("click", () => save(false));
  $("saveas").addEventListener("click", saveAs);
  $("problem-list").addEventListener("click", (e) => {
    const a = e.target.closest("a[data-line]");
    if (a) { e.preventDefault(); goToLine(parseInt(a.dataset.line, 10)); }
  });
  text.addEventListener("input", () => { if (!quiet) { drawGutter(); edited(); } });
  text.addEventListener("scroll", () => { gutter.scrollTop = text.scrollTop; });
  document.addEventListener("keydown", (e) => {
    if ((e.ctrlKey || e.metaKey) && e.key === "s") { e.preventDefault(); save(false); }
  });
  window.addEventListener("beforeunload", (e) => {
    if (dirty()) { e.preventDefault(); e.returnValue = ""; } // (the browser asks)
  });
  $("spe").addEventListener("change", edited);
  $("dialect").addEventListener("change", edited);
  $("epochs").addEventListener("change", () => {
    const n = parseFloat($("epochs").value);
    if (Number.isFinite(n) && n > 0) knob({ epochs: n });
    else status("train for: a positive number of epochs (the text is unchanged)", true);
  });
  drawGutter();
  refresh();
})();
