// Call pages (docs/calls.md, "In the browser"): the upload page's drag and drop, upload through the JSON API and
// per-file progress; the review page's moment timeline (click or keyboard) with the transcript beside it.
// Without JavaScript both pages still work: a plain multipart form and a status page, links to #moment-N.
(function () {
  "use strict";
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  // ---- upload ---------------------------------------------------------------------------------------------------
  var form = document.getElementById("upload-form");
  if (form) {
    var input = document.getElementById("files");
    var zone = document.getElementById("dropzone");
    var picked = document.getElementById("picked");
    var list = document.getElementById("upload-list");
    var progress = document.getElementById("progress");
    var button = document.getElementById("upload-button");

    var showPicked = function () {
      var names = Array.prototype.map.call(input.files, function (f) { return f.name; });
      picked.textContent = names.length ? names.length + " file" + (names.length === 1 ? "" : "s") + ": " + names.join(", ")
        : picked.getAttribute("data-empty") || picked.textContent;
    };
    picked.setAttribute("data-empty", picked.textContent);
    input.addEventListener("change", showPicked);
    ["dragenter", "dragover"].forEach(function (name) {
      zone.addEventListener(name, function (e) { e.preventDefault(); zone.classList.add("over"); });
    });
    ["dragleave", "drop"].forEach(function (name) {
      zone.addEventListener(name, function () { zone.classList.remove("over"); });
    });
    zone.addEventListener("drop", function (e) {
      e.preventDefault();
      var dt = new DataTransfer();
      Array.prototype.forEach.call(input.files, function (f) { dt.items.add(f); });
      Array.prototype.forEach.call(e.dataTransfer.files, function (f) { dt.items.add(f); });
      input.files = dt.files;
      showPicked();
    });

    var row = function (file, state, detail, link) {
      var li = el("li", "upload-item " + state);
      li.appendChild(el("span", "file", file));
      var cls = { queued: "na", importing: "partly", done: "met", failed: "missed" }[state] || "na";
      li.appendChild(el("span", "badge " + cls, state));
      if (detail) li.appendChild(el("span", state === "failed" ? "error small" : "small muted", detail));
      if (link) {
        var a = el("a", "", "Review");
        a.href = link;
        li.appendChild(a);
      }
      return li;
    };

    var poll = function (job, slot) {
      fetch("/api/calls/uploads/" + job.job_id, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.json().then(function (body) { return { ok: r.ok, body: body }; }); })
        .then(function (res) {
          if (!res.ok) { slot.replaceChildren(row(job.file, "failed", res.body.detail || "cannot read the progress")); return; }
          var s = res.body;
          var items = [];
          s.results.forEach(function (r) {
            items.push(r.ok ? row(r.file, "done", "for " + job.rep, "/calls/" + r.conversation_id) : row(r.file, "failed", r.error));
          });
          if (s.status === "queued" || s.status === "importing") {
            var detail = s.error || ("for " + job.rep);
            if (s.progress !== null && s.progress !== undefined) {
              detail = Math.round(100 * s.progress) + "%" + (s.progress_note ? " · " + s.progress_note : "") + " · " + detail;
            }
            items.push(row(job.file, s.status, detail));
            setTimeout(function () { poll(job, slot); }, 800);
          } else if (s.status === "failed") {
            items.push(row(job.file, "failed", s.error));
          } else if (!s.results.length) {
            items.push(row(job.file, "failed", "no call transcript found in it"));
          }
          slot.replaceChildren.apply(slot, items);
        })
        .catch(function () { setTimeout(function () { poll(job, slot); }, 2000); });
    };

    form.addEventListener("submit", function (e) {
      if (!window.fetch || !window.FormData) return; // the plain form posts instead
      e.preventDefault();
      if (!input.files.length) { picked.textContent = "Choose at least one file first."; return; }
      var data = new FormData(form);
      button.disabled = true;
      progress.hidden = false;
      list.replaceChildren(el("li", "upload-item", "Uploading " + input.files.length + " file" + (input.files.length === 1 ? "" : "s") + "…"));
      fetch(form.getAttribute("data-api"), { method: "POST", body: data, credentials: "same-origin",
        headers: { "X-CSRF-Token": csrf, Accept: "application/json" } })
        .then(function (r) { return r.json().then(function (body) { return { ok: r.ok, body: body }; }); })
        .then(function (res) {
          button.disabled = false;
          list.replaceChildren();
          if (!res.ok) { list.appendChild(row("Upload", "failed", res.body.detail || "the upload was refused")); return; }
          res.body.rejected.forEach(function (r) { list.appendChild(row(r.file, "failed", r.error)); });
          res.body.jobs.forEach(function (job) {
            var slot = el("li", "upload-slot");
            slot.style.listStyle = "none";
            var inner = el("ul", "upload-list");
            inner.appendChild(row(job.file, "queued", "for " + job.rep));
            slot.appendChild(inner);
            list.appendChild(slot);
            poll(job, inner);
          });
          form.reset();
          showPicked();
        })
        .catch(function (err) {
          button.disabled = false;
          list.replaceChildren(row("Upload", "failed", String(err)));
        });
    });
  }

  // ---- review: the moment timeline -------------------------------------------------------------------------------
  var moments = Array.prototype.slice.call(document.querySelectorAll("#moments .moment"));
  var transcript = document.getElementById("transcript");
  if (moments.length && transcript) {
    var markers = Array.prototype.slice.call(document.querySelectorAll("#timeline .marker"));
    var prev = document.getElementById("moment-prev");
    var next = document.getElementById("moment-next");
    var pos = document.getElementById("moment-pos");
    var current = -1;
    prev.hidden = false;
    next.hidden = false;
    document.getElementById("moments").classList.add("one-at-a-time"); // a phone shows the chosen moment only

    var select = function (n, focus) {
      if (n < 0 || n >= moments.length) return;
      current = n;
      var m = moments[n];
      var start = parseInt(m.getAttribute("data-start"), 10);
      var end = parseInt(m.getAttribute("data-end"), 10);
      moments.forEach(function (x, i) { x.classList.toggle("active", i === n); });
      markers.forEach(function (x, i) {
        x.classList.toggle("active", i === n);
        if (i === n) x.setAttribute("aria-current", "true"); else x.removeAttribute("aria-current");
      });
      var first = null;
      Array.prototype.forEach.call(transcript.querySelectorAll(".turn"), function (t) {
        var i = parseInt(t.getAttribute("data-index"), 10);
        var hit = i >= start && i <= end;
        t.classList.toggle("highlight", hit);
        if (hit && first === null) first = t;
      });
      if (first) transcript.scrollTop = first.offsetTop - transcript.offsetTop - 12;
      pos.textContent = "Moment " + (n + 1) + " of " + moments.length + (m.classList.contains("pivotal") ? " (pivotal)" : "");
      prev.disabled = n === 0;
      next.disabled = n === moments.length - 1;
      if (focus) {
        m.focus({ preventScroll: true });
        var box = m.getBoundingClientRect();
        if (box.top < 0 || box.bottom > window.innerHeight) m.scrollIntoView({ block: "nearest" });
      }
      // only when the user moved: a fragment set while the page loads makes the browser jump to it at load
      if (focus && history.replaceState) history.replaceState(null, "", "#moment-" + n);
    };

    markers.forEach(function (a) {
      a.addEventListener("click", function (e) { e.preventDefault(); select(parseInt(a.getAttribute("data-moment"), 10), true); });
    });
    Array.prototype.forEach.call(document.querySelectorAll(".show-turns, [data-goto]"), function (a) {
      a.addEventListener("click", function (e) {
        e.preventDefault();
        select(parseInt(a.getAttribute("data-moment") || a.getAttribute("data-goto"), 10), true);
      });
    });
    moments.forEach(function (m, i) {
      m.addEventListener("click", function (e) { if (!e.target.closest("a, button, form, input, select, textarea")) select(i, false); });
    });
    prev.addEventListener("click", function () { select(current - 1, true); });
    next.addEventListener("click", function () { select(current + 1, true); });
    document.addEventListener("keydown", function (e) {
      if (e.altKey || e.ctrlKey || e.metaKey || e.target.closest("input, textarea, select, [contenteditable]")) return;
      if (e.key === "ArrowRight" || e.key === "j") { e.preventDefault(); select(Math.min(current + 1, moments.length - 1), true); }
      if (e.key === "ArrowLeft" || e.key === "k") { e.preventDefault(); select(Math.max(current - 1, 0), true); }
    });

    var fromHash = /^#moment-(\d+)$/.exec(location.hash);
    var pivotal = moments.findIndex(function (m) { return m.classList.contains("pivotal"); });
    select(fromHash ? parseInt(fromHash[1], 10) : (pivotal >= 0 ? pivotal : 0), false);
  }
})();
