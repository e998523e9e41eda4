// The case table and the case detail, rendered on demand from the JSON embedded once above.
// Every string from the data goes through textContent, never innerHTML.
"use strict";
(function () {
  const DATA = JSON.parse(document.getElementById("report-data").textContent);
  const CASES = DATA.cases;
  const RANK = { error: 0, fail: 1, unsupported: 2, pass: 3 };
  const PAGE = 100;
  const SEVERAL_PAIRS = DATA.pairs.length > 1;
  const state = { key: "outcome", dir: 1, query: "", outcome: "", area: "", page: 0, view: [] };
  const $ = (id) => document.getElementById(id);

  function el(tag, text, cls) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (cls) node.className = cls;
    return node;
  }
  function num(value) {
    if (value === null || value === undefined) return "";
    if (typeof value !== "number") return String(value);
    if (Number.isInteger(value)) return String(value);
    return value === 0 ? "0" : value.toExponential(2);
  }
  function ratio(value) {
    if (value === null || value === undefined) return "";
    if (typeof value !== "number") return value === "inf" ? "\u221e" : String(value);
    return value === 0 ? "0" : Number(value.toPrecision(2)) + "\u00d7";
  }
  function searchText(c) {
    if (c._text === undefined) {
      const wrong = c.finite_differences.filter((f) => f.wrong_side).map((f) => "fd-wrong:" + f.wrong_side);
      c._text = [c.case_id, c.tags.join(" "), c.reason, c.dtype, c.pair, wrong.join(" ")].join(" ").toLowerCase();
    }
    return c._text;
  }
  function compare(a, b) {
    const k = state.key;
    let x = a[k], y = b[k];
    if (k === "outcome") { x = RANK[x]; y = RANK[y]; }
    if (x === null || x === undefined) return y === null || y === undefined ? a.case_id.localeCompare(b.case_id) : 1;
    if (y === null || y === undefined) return -1;
    const order = typeof x === "number" ? x - y : String(x).localeCompare(String(y));
    return order !== 0 ? order * state.dir : a.case_id.localeCompare(b.case_id);
  }
  function refresh() {
    const q = state.query.toLowerCase();
    state.view = CASES.filter((c) =>
      (!state.outcome || (state.outcome === "!pass" ? c.outcome !== "pass" : c.outcome === state.outcome)) &&
      (!state.area || c.area === state.area) &&
      (!q || searchText(c).includes(q)));
    state.view.sort(compare);
    state.page = Math.min(state.page, Math.max(0, Math.ceil(state.view.length / PAGE) - 1));
    draw();
  }
  function draw() {
    const body = $("rows");
    const start = state.page * PAGE;
    const rows = document.createDocumentFragment();
    for (const c of state.view.slice(start, start + PAGE)) {
      const tr = document.createElement("tr");
      tr.dataset.index = c._index;
      tr.appendChild(el("td", c.outcome, "o-" + c.outcome));
      const id = el("td", c.case_id); id.title = c.case_id; tr.appendChild(id);
      tr.appendChild(el("td", c.area));
      tr.appendChild(el("td", c.dtype));
      tr.appendChild(el("td", num(c.max_ulp), "num"));
      tr.appendChild(el("td", num(c.max_rel_diff), "num"));
      tr.appendChild(el("td", ratio(c.max_tolerance_ratio), "num"));
      if (SEVERAL_PAIRS) tr.appendChild(el("td", c.pair));
      const reason = el("td", c.reason); reason.title = c.reason; tr.appendChild(reason);
      rows.appendChild(tr);
    }
    body.replaceChildren(rows);
    const pages = Math.max(1, Math.ceil(state.view.length / PAGE));
    $("shown").textContent = state.view.length + " of " + CASES.length + " cases";
    $("page").textContent = " page " + (state.page + 1) + " / " + pages + " ";
    $("prev").disabled = state.page === 0;
    $("next").disabled = state.page >= pages - 1;
    for (const th of document.querySelectorAll("th[data-key]")) {
      th.classList.toggle("sorted-asc", th.dataset.key === state.key && state.dir > 0);
      th.classList.toggle("sorted-desc", th.dataset.key === state.key && state.dir < 0);
    }
  }
  function copy(text, button) {
    const done = () => { button.textContent = "copied"; setTimeout(() => { button.textContent = "copy"; }, 1500); };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, () => fallbackCopy(text, done));
    } else {
      fallbackCopy(text, done);
    }
  }
  function fallbackCopy(text, done) {
    const area = document.createElement("textarea");
    area.value = text; document.body.appendChild(area); area.select();
    try { document.execCommand("copy"); done(); } finally { area.remove(); }
  }
  function show(c) {
    const box = $("detail");
    box.replaceChildren();
    box.hidden = false;
    box.dataset.caseId = c.case_id;
    const close = el("button", "\u00d7 close", "close"); close.type = "button"; close.id = "close-detail";
    close.addEventListener("click", hide);
    box.appendChild(close);
    const h = el("h2", c.case_id); box.appendChild(h);
    const status = el("p"); status.appendChild(el("span", c.outcome, "o-" + c.outcome));
    status.appendChild(document.createTextNode(c.reason ? " \u2014 " + c.reason : ""));
    box.appendChild(status);
    if (c.doc) box.appendChild(el("p", c.doc));
    const facts = el("dl", null, "env");
    const add = (k, v) => { facts.appendChild(el("dt", k)); facts.appendChild(el("dd", v)); };
    add("area", c.area); add("tags", c.tags.join(", ") || "-");
    add("run seed", c.run_seed); add("case seed", c.seed);
    add("durations", Object.entries(c.durations).map(([b, s]) => b + " " + s.toFixed(4) + " s").join(", ") || "-");
    box.appendChild(facts);
    if (c.message && c.message !== c.reason) { box.appendChild(el("h3", "Message")); box.appendChild(el("pre", c.message)); }
    box.appendChild(el("h3", "Observations"));
    const names = c.backends.length ? c.backends : DATA.environment.backends;
    const table = el("table", null, "obs");
    const head = document.createElement("tr");
    for (const t of ["observation", "status", names[0] || "baseline", names[1] || "candidate", "max abs", "max rel", "ULP", "\u00d7 tol", "rtol / atol", "why"]) head.appendChild(el("th", t));
    table.appendChild(head);
    for (const o of c.observations) {
      const tr = document.createElement("tr");
      tr.appendChild(el("td", o.name + " (" + o.kind + ", " + o.dtype + ")"));
      tr.appendChild(el("td", o.status, o.status === "match" ? "o-pass" : "o-fail"));
      const left = el("td"); left.appendChild(el("pre", o.baseline)); tr.appendChild(left);
      const right = el("td"); right.appendChild(el("pre", o.candidate)); tr.appendChild(right);
      tr.appendChild(el("td", num(o.max_abs_diff), "num"));
      tr.appendChild(el("td", num(o.max_rel_diff), "num"));
      tr.appendChild(el("td", num(o.max_ulp), "num"));
      tr.appendChild(el("td", ratio(o.max_tolerance_ratio), "num"));
      tr.appendChild(el("td", o.rtol === null ? "exact" : num(o.rtol) + " / " + num(o.atol)));
      const why = el("td"); if (o.message) why.appendChild(el("pre", o.message)); tr.appendChild(why);
      table.appendChild(tr);
    }
    if (!c.observations.length) { const tr = document.createElement("tr"); tr.appendChild(el("td", "no observations compared")); table.appendChild(tr); }
    box.appendChild(table);
    if (c.finite_differences.length) box.appendChild(finiteDifferences(c, names));
    if (c.expectations.length) {
      box.appendChild(el("h3", "Expectations"));
      const list = el("ul");
      for (const e of c.expectations) list.appendChild(el("li", e));
      box.appendChild(list);
    }
    const h3 = el("h3", "Reproducer ");
    const script = c.reproducer || ("# generate it with:\nconformance show " + c.case_id + " --seed " + c.run_seed + " > repro.py && python repro.py");
    const button = el("button", "copy"); button.type = "button"; button.id = "copy-reproducer";
    button.addEventListener("click", () => copy(script, button));
    h3.appendChild(button);
    box.appendChild(h3);
    const pre = el("pre", script); pre.id = "reproducer"; box.appendChild(pre);
    for (const tr of document.querySelectorAll("#rows tr")) tr.classList.toggle("selected", CASES[tr.dataset.index] === c);
  }
  // Per gradient: both sides and the float64 central-difference estimate, each side's error
  // against it, the two sides' error against each other, and the side the estimate calls wrong.
  function finiteDifferences(c, names) {
    const wrap = el("div"); wrap.id = "finite-differences";
    wrap.appendChild(el("h3", "Finite-difference third opinion"));
    const table = el("table", null, "obs fd");
    const head = document.createElement("tr");
    const left = names[0] || "baseline", right = names[1] || "candidate";
    for (const t of ["gradient", left, right, "finite difference", left + " vs FD", right + " vs FD", left + " vs " + right, "wrong side"]) head.appendChild(el("th", t));
    table.appendChild(head);
    const byName = new Map(c.observations.map((o) => [o.name, o]));
    for (const f of c.finite_differences) {
      const o = byName.get(f.name);
      const tr = document.createElement("tr");
      tr.dataset.observation = f.name;
      tr.appendChild(el("td", f.name));
      for (const text of [o ? o.baseline : "-", o ? o.candidate : "-", f.estimate]) {
        const td = el("td"); td.appendChild(el("pre", text)); tr.appendChild(td);
      }
      for (const e of [f.baseline_error, f.candidate_error, f.pair_error]) tr.appendChild(el("td", e === null ? "-" : num(e), "num"));
      const side = f.wrong_side === "baseline" ? left : f.wrong_side === "candidate" ? right : f.wrong_side;
      tr.appendChild(el("td", side || "neither", f.wrong_side ? "o-fail wrong-side" : "o-pass"));
      table.appendChild(tr);
    }
    wrap.appendChild(table);
    wrap.appendChild(el("p", "Errors are max |a \u2212 b| / max(1, max |b|) against the estimate; a side more than " + DATA.fd_tolerance + " off it is called wrong.", "hint"));
    return wrap;
  }
  function fromHash() {
    const params = new URLSearchParams(location.hash.slice(1));
    if (params.has("outcome")) { state.outcome = params.get("outcome"); $("outcome-filter").value = state.outcome; }
    if (params.has("area")) { state.area = params.get("area"); $("area-filter").value = state.area; }
    if (params.has("q")) { state.query = params.get("q"); $("search").value = state.query; }
    refresh();
    const id = params.get("case");
    const found = id && CASES.find((c) => c.case_id === id);
    if (found) show(found);
  }
  function hide() {
    $("detail").hidden = true;
    history.replaceState(null, "", location.hash.replace(/(^#|&)case=[^&]*/, "$1").replace(/&$/, ""));
    for (const tr of document.querySelectorAll("#rows tr.selected")) tr.classList.remove("selected");
  }

  CASES.forEach((c, i) => { c._index = i; c.pair = c.backends.join(" vs ") || "-"; });
  $("pair-column").hidden = !SEVERAL_PAIRS;
  let timer = 0;
  $("search").addEventListener("input", (e) => {
    clearTimeout(timer);
    timer = setTimeout(() => { state.query = e.target.value; state.page = 0; refresh(); }, 120);
  });
  $("outcome-filter").addEventListener("change", (e) => { state.outcome = e.target.value; state.page = 0; refresh(); });
  $("area-filter").addEventListener("change", (e) => { state.area = e.target.value; state.page = 0; refresh(); });
  $("prev").addEventListener("click", () => { state.page -= 1; draw(); });
  $("next").addEventListener("click", () => { state.page += 1; draw(); });
  for (const th of document.querySelectorAll("th[data-key]")) {
    th.addEventListener("click", () => {
      state.dir = state.key === th.dataset.key ? -state.dir : (th.dataset.key.startsWith("max_") ? -1 : 1);
      state.key = th.dataset.key; refresh();
    });
  }
  $("rows").addEventListener("click", (e) => {
    const tr = e.target.closest("tr");
    if (tr) { const c = CASES[tr.dataset.index]; history.replaceState(null, "", "#case=" + encodeURIComponent(c.case_id)); show(c); }
  });
  window.addEventListener("hashchange", fromHash);
  document.addEventListener("keydown", (e) => { if (e.key === "Escape" && !$("detail").hidden) hide(); });
  fromHash();
  document.body.dataset.ready = "true";
  document.body.dataset.readyMs = String(Math.round(performance.now()));
})();
