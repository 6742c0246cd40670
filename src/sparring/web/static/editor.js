// Content editor (progressive enhancement of the plain textarea form, which posts without any script):
// - CodeMirror 6 (vendored, static/vendor/codemirror) with YAML highlighting and line numbers;
// - validation as the admin types (debounced) through /admin/content/validate, shown at the line in the editor;
// - for scenarios, a Form tab for the common fields (/admin/content/form writes them into the YAML) and a
//   "Try it" panel that plays the draft against its persona (/admin/content/preview, nothing stored).
// The textarea stays the form field: the editor copies its text into it on every change.
import {
  EditorView, EditorState, basicSetup, yaml, lintGutter, setDiagnostics,
} from "./vendor/codemirror/codemirror.min.js";

const area = document.getElementById("yaml");
const form = document.getElementById("editor-form");
const meta = document.querySelector('meta[name="csrf-token"]');
if (area && form && meta) start();

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}

async function post(url, body) {
  const resp = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": meta.content },
    body: JSON.stringify(body),
  }).catch(() => null);
  if (!resp) return { ok: false, status: 0, data: { error: "the server did not answer; check the connection" } };
  let data = null;
  try { data = await resp.json(); } catch (e) { data = { error: "the server answered " + resp.status }; }
  return { ok: resp.ok, status: resp.status, data };
}

function start() {
  const kind = form.dataset.kind;
  const box = document.getElementById("validation");
  const summary = document.getElementById("preview");
  const host = document.getElementById("code");
  const label = document.getElementById("yaml-label");
  let timer = null, seq = 0;

  // ---- the code editor -------------------------------------------------------------------------------
  const view = new EditorView({
    parent: host,
    state: EditorState.create({
      doc: area.value,
      extensions: [
        basicSetup,
        yaml(),
        lintGutter(),
        EditorView.contentAttributes.of({ "aria-labelledby": "yaml-label", "aria-describedby": "validation" }),
        EditorView.updateListener.of((u) => {
          if (!u.docChanged) return;
          area.value = u.state.doc.toString();
          clearTimeout(timer);
          timer = setTimeout(validate, 350);
        }),
      ],
    }),
  });
  // the scroller scrolls sideways on a phone: a keyboard user reaches it like the app's other scroll regions
  view.scrollDOM.setAttribute("tabindex", "0");
  view.scrollDOM.setAttribute("role", "region");
  view.scrollDOM.setAttribute("aria-label", "YAML, scrollable");
  host.hidden = false;
  area.hidden = true;
  label.removeAttribute("for");
  label.addEventListener("click", () => view.focus());

  function text() { return view.state.doc.toString(); }

  function setText(next) {
    if (next === text()) return;
    view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: next } });
  }

  function goToLine(n) {
    const line = view.state.doc.line(Math.min(Math.max(n, 1), view.state.doc.lines));
    showTab("yaml");
    view.dispatch({ selection: { anchor: line.from }, scrollIntoView: true });
    view.focus();
  }

  function diagnostics(problems) {
    const doc = view.state.doc;
    return problems.map((p) => {
      const line = doc.line(Math.min(Math.max(p.line || 1, 1), doc.lines));
      const from = p.column ? Math.min(line.from + p.column - 1, line.to) : line.from;
      return { from, to: line.to, severity: "error", message: p.field + ": " + p.message, source: "line " + line.number };
    });
  }

  function show(result) {
    box.replaceChildren();
    if (result.ok) {
      box.append(el("p", "Valid " + result.kind + " “" + result.id + "” · version " + result.version.slice(0, 10), "valid"));
    } else {
      const ul = el("ul", "", "problems");
      result.problems.forEach((p) => {
        const li = el("li");
        const jump = el("button", "line " + p.line, "line-link");
        jump.type = "button";
        jump.setAttribute("aria-label", "Go to line " + p.line);
        jump.addEventListener("click", () => goToLine(p.line));
        li.append(jump, document.createTextNode(": " + p.field + ": " + p.message));
        ul.append(li);
      });
      box.append(ul);
    }
    view.dispatch(setDiagnostics(view.state, diagnostics(result.problems || [])));
    summary.replaceChildren();
    const pv = result.preview;
    if (!pv) { summary.append(el("p", "The summary appears once the YAML is valid.", "muted")); return; }
    summary.append(el("h3", pv.title));
    if (pv.kind === "rubric") {
      summary.append(el("p", "Pass mark " + pv.pass_mark + " · " + pv.criteria.length + " criteria · " + pv.tests + " tests", "muted"));
      const ul = el("ul", "", "plain");
      pv.criteria.forEach((c) => ul.append(el("li", c.name + " — " + c.kind + ", weight " + c.weight + (c.skill ? ", skill " + c.skill : ""))));
      summary.append(ul);
    } else {
      summary.append(el("p", pv.domain + " · " + pv.persona + " · rubric " + pv.rubric + " · up to " + pv.max_turns + " turns", "muted"));
      summary.append(el("p", pv.brief));
      summary.append(el("p", "Opens with: “" + pv.opening + "”"));
      const ul = el("ul", "", "plain");
      pv.objectives.forEach((o) => ul.append(el("li", o)));
      summary.append(ul);
    }
  }

  async function validate() {
    const mine = ++seq;
    const sent = text();
    const r = await post("/admin/content/validate", { text: sent });
    if (!r.ok || mine !== seq || sent !== text()) return;  // a newer edit has its own request
    show(r.data);
  }

  try { show(JSON.parse(document.getElementById("initial-result").textContent)); } catch (e) { /* server render stays */ }

  // ---- form view (scenarios) -------------------------------------------------------------------------
  const tablist = form.querySelector('[role="tablist"]');
  const panels = { yaml: document.getElementById("panel-yaml"), form: document.getElementById("panel-form") };
  const tabs = { yaml: document.getElementById("tab-yaml"), form: document.getElementById("tab-form") };
  const inputs = form.querySelectorAll("[data-field]");
  const formError = document.getElementById("form-error");
  let formTimer = null, formSeq = 0, pending = null;

  function showTab(name) {
    if (!tablist) return;
    for (const k of ["yaml", "form"]) {
      panels[k].hidden = k !== name;
      tabs[k].setAttribute("aria-selected", String(k === name));
      tabs[k].tabIndex = k === name ? 0 : -1;
    }
    if (name === "form") readForm();
  }

  function formFailed(data) {
    formError.hidden = false;
    formError.textContent = data.error + (data.problems && data.problems.length
      ? " — " + data.problems.map((p) => "line " + p.line + ": " + p.field + ": " + p.message).join("; ") : "");
  }

  function fill(data) {
    formError.hidden = true;
    const rubric = document.getElementById("f-rubric");
    rubric.replaceChildren(...data.rubrics.map((id) => { const o = el("option", id); o.value = id; return o; }));
    if (data.fields.rubric && !data.rubrics.includes(data.fields.rubric)) {
      const o = el("option", data.fields.rubric + " (unknown)"); o.value = data.fields.rubric; rubric.append(o);
    }
    inputs.forEach((input) => {
      if (input !== document.activeElement) input.value = data.fields[input.dataset.field] || "";
      input.disabled = false;
    });
  }

  async function readForm() {
    const mine = ++formSeq;
    const r = await post("/admin/content/form", { text: text() });
    if (mine !== formSeq) return;
    if (!r.ok) { formFailed(r.data); inputs.forEach((i) => { i.disabled = true; }); return; }
    fill(r.data);
  }

  async function applyForm() {
    formTimer = null;
    const mine = ++formSeq;
    const fields = {};
    inputs.forEach((input) => { fields[input.dataset.field] = input.value; });
    const r = await post("/admin/content/form", { text: text(), fields });
    if (mine !== formSeq) return;
    if (!r.ok) { formFailed(r.data); return; }
    formError.hidden = true;
    setText(r.data.text);
  }

  if (tablist) {  // the tabs exist only with a script: without one the page is the plain form
    for (const k of ["yaml", "form"]) {
      panels[k].setAttribute("role", "tabpanel");
      panels[k].setAttribute("aria-labelledby", "tab-" + k);
    }
    tablist.hidden = false;
    tabs.yaml.addEventListener("click", () => showTab("yaml"));
    tabs.form.addEventListener("click", () => showTab("form"));
    tablist.addEventListener("keydown", (e) => {
      if (e.key !== "ArrowLeft" && e.key !== "ArrowRight") return;
      const next = tabs.yaml.getAttribute("aria-selected") === "true" ? "form" : "yaml";
      showTab(next);
      tabs[next].focus();
    });
    inputs.forEach((input) => input.addEventListener(input.tagName === "SELECT" ? "change" : "input", () => {
      clearTimeout(formTimer);
      formTimer = setTimeout(() => { pending = applyForm(); }, 400);
    }));
  }

  // publishing: a form edit still waiting is written into the YAML first
  form.addEventListener("submit", async (e) => {
    area.value = text();
    if (formTimer === null && pending === null) return;
    e.preventDefault();
    if (formTimer !== null) { clearTimeout(formTimer); pending = applyForm(); }
    await pending;
    pending = null;
    area.value = text();
    form.submit();
  });

  // ---- try it (scenarios) ----------------------------------------------------------------------------
  const tryBox = document.getElementById("try");
  if (!tryBox) return;
  tryBox.hidden = false;
  const log = document.getElementById("try-log");
  const status = document.getElementById("try-status");
  const sayForm = document.getElementById("try-form");
  const lineInput = document.getElementById("try-line");
  const difficulty = document.getElementById("try-difficulty");
  let lines = [];

  async function play() {
    status.textContent = "The persona is answering…";
    const r = await post("/admin/content/preview", { text: text(), lines, difficulty: difficulty.value });
    if (!r.ok) {
      lines = lines.slice(0, -1);
      status.textContent = r.data.error + (r.data.problems && r.data.problems.length ? ": " + r.data.problems.join("; ") : "");
      return false;
    }
    log.replaceChildren(...r.data.turns.map((t) => {
      const div = el("div", "", "turn " + t.role);
      div.append(el("span", t.speaker, "who"), el("span", t.text, "text"));
      return div;
    }));
    log.scrollTop = log.scrollHeight;
    if (r.data.ended) {
      status.textContent = "The conversation ended: " + r.data.outcome + (r.data.reason ? " (" + r.data.reason + ")" : "") + ".";
    } else if (r.data.learner_turns_left <= 0) {
      status.textContent = "That is as far as a preview goes; publish and practise it to play on.";
    } else {
      status.textContent = r.data.learner_turns_left + " more lines in this preview.";
    }
    sayForm.hidden = r.data.ended || r.data.learner_turns_left <= 0;
    return true;
  }

  document.getElementById("try-start").addEventListener("click", async () => {
    lines = [];
    log.replaceChildren();
    if (await play()) lineInput.focus();
  });
  sayForm.addEventListener("submit", async (e) => {
    e.preventDefault();
    const line = lineInput.value.trim();
    if (!line) return;
    lines.push(line);
    if (await play()) lineInput.value = "";
    lineInput.focus();
  });
}
