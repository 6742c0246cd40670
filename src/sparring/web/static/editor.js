// Content editor: validate the YAML as the admin types (debounced) and show problems and a preview.
(function () {
  "use strict";
  const area = document.getElementById("yaml");
  if (!area) return;
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const box = document.getElementById("validation");
  const preview = document.getElementById("preview");
  let timer = null, seq = 0;

  function el(tag, text, cls) { const e = document.createElement(tag); if (text) e.textContent = text; if (cls) e.className = cls; return e; }

  function show(result) {
    box.replaceChildren();
    if (result.ok) {
      box.append(el("p", "Valid " + result.kind + " “" + result.id + "” · version " + result.version.slice(0, 10), "valid"));
    } else {
      const ul = el("ul", "", "problems");
      result.problems.forEach((p) => ul.append(el("li", "line " + p.line + ": " + p.field + ": " + p.message)));
      box.append(ul);
    }
    preview.replaceChildren();
    const pv = result.preview;
    if (!pv) { preview.append(el("p", "The preview appears once the YAML is valid.", "muted")); return; }
    preview.append(el("h3", pv.title));
    if (pv.kind === "rubric") {
      preview.append(el("p", "Pass mark " + pv.pass_mark + " · " + pv.criteria.length + " criteria · " + pv.tests + " tests", "muted"));
      const ul = el("ul", "", "plain");
      pv.criteria.forEach((c) => ul.append(el("li", c.name + " — " + c.kind + ", weight " + c.weight + (c.skill ? ", skill " + c.skill : ""))));
      preview.append(ul);
    } else {
      preview.append(el("p", pv.domain + " · " + pv.persona + " · rubric " + pv.rubric + " · up to " + pv.max_turns + " turns", "muted"));
      preview.append(el("p", pv.brief));
      preview.append(el("p", "Opens with: “" + pv.opening + "”"));
      const ul = el("ul", "", "plain");
      pv.objectives.forEach((o) => ul.append(el("li", o)));
      preview.append(ul);
    }
  }

  async function validate() {
    const mine = ++seq;
    const resp = await fetch("/admin/content/validate", {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify({ text: area.value }),
    }).catch(() => null);
    if (!resp || !resp.ok || mine !== seq) return;
    show(await resp.json());
  }

  area.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(validate, 350); });
  try { show(JSON.parse(document.getElementById("initial-result").textContent)); } catch (e) { /* server render stays */ }
})();
