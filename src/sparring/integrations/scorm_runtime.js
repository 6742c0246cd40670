/* Sparring SCORM runtime (docs/integrations.md, "SCORM"): finds the LMS's SCORM API, marks the activity
   incomplete, opens the scenario in Sparring in a new window and reports the score Sparring posts back. */
(function () {
  "use strict";
  var body = document.body;
  var cfg = {
    base: body.getAttribute("data-sparring-base") || "",
    scenario: body.getAttribute("data-scenario") || "",
    difficulty: body.getAttribute("data-difficulty") || "medium",
    version: body.getAttribute("data-scorm-version") || "1.2"
  };
  var sparringOrigin = new URL(cfg.base).origin;
  var statusEl = document.getElementById("sparring-status");
  var button = document.getElementById("sparring-open");

  function say(text) { if (statusEl) { statusEl.textContent = text; } }

  // SCORM's API discovery: this window, then its parents, then the opener's chain (a cross-origin window
  // throws on access and ends that chain)
  function searchChain(win, name) {
    for (var hops = 0; win && hops < 10; hops++) {
      try {
        if (win[name]) { return win[name]; }
      } catch (e) { return null; }
      if (!win.parent || win.parent === win) { break; }
      win = win.parent;
    }
    return null;
  }

  function findApi(name) {
    var api = searchChain(window, name);
    try {
      if (!api && window.opener) { api = searchChain(window.opener, name); }
      if (!api && window.top && window.top.opener) { api = searchChain(window.top.opener, name); }
    } catch (e) { /* a cross-origin opener */ }
    return api;
  }

  function adapter(version) {
    if (version === "2004") {
      var a = findApi("API_1484_11");
      if (!a) { return null; }
      return {
        init: function () { return String(a.Initialize("")) === "true"; },
        get: function (k) { return String(a.GetValue(k)); },
        set: function (k, v) { return a.SetValue(k, String(v)); },
        commit: function () { return a.Commit(""); },
        finish: function () { return a.Terminate(""); },
        start: function () {
          var c = this.get("cmi.completion_status");
          if (c !== "completed") { this.set("cmi.completion_status", "incomplete"); }
        },
        report: function (score, passed) {
          this.set("cmi.score.min", 0);
          this.set("cmi.score.max", 100);
          this.set("cmi.score.raw", score);
          this.set("cmi.score.scaled", (score / 100).toFixed(4).replace(/\.?0+$/, "") || "0");
          this.set("cmi.success_status", passed ? "passed" : "failed");
          this.set("cmi.completion_status", "completed");
          this.set("cmi.exit", "normal");
        }
      };
    }
    var b = findApi("API");
    if (!b) { return null; }
    return {
      init: function () { return String(b.LMSInitialize("")) === "true"; },
      get: function (k) { return String(b.LMSGetValue(k)); },
      set: function (k, v) { return b.LMSSetValue(k, String(v)); },
      commit: function () { return b.LMSCommit(""); },
      finish: function () { return b.LMSFinish(""); },
      start: function () {
        var s = this.get("cmi.core.lesson_status");
        if (s !== "passed" && s !== "failed" && s !== "completed") {
          this.set("cmi.core.lesson_status", "incomplete");
        }
      },
      report: function (score, passed) {
        this.set("cmi.core.score.min", 0);
        this.set("cmi.core.score.max", 100);
        this.set("cmi.core.score.raw", score);
        this.set("cmi.core.lesson_status", passed ? "passed" : "failed");
      }
    };
  }

  var lms = adapter(cfg.version);
  var active = false;
  var finished = false;
  if (!lms) {
    say("No SCORM " + cfg.version + " course connection was found: your score will not be recorded here. " +
        "You can still practise in Sparring.");
  } else if (!lms.init()) {
    say("The course did not accept the connection: your score will not be recorded here.");
  } else {
    active = true;
    lms.start();
    lms.commit();
    say("Ready. Open the scenario, play the rep to its end, and your score comes back here.");
  }

  if (button) {
    button.addEventListener("click", function () {
      var url = cfg.base + "/scorm/start?scenario=" + encodeURIComponent(cfg.scenario) +
        "&difficulty=" + encodeURIComponent(cfg.difficulty) +
        "&origin=" + encodeURIComponent(window.location.origin);
      var win = window.open(url, "sparring-scorm");
      say(win ? "The scenario is open in a new window." :
        "Your browser blocked the new window: allow pop-ups for this course and press the button again.");
    });
  }

  window.addEventListener("message", function (event) {
    if (event.origin !== sparringOrigin) { return; }
    var d = event.data;
    if (!d || typeof d !== "object" || d.type !== "sparring:scored") { return; }
    if (String(d.scenario) !== cfg.scenario) { return; }
    var score = Number(d.score);
    if (!isFinite(score) || score < 0 || score > 100 || typeof d.passed !== "boolean") { return; }
    score = Math.round(score * 100) / 100;
    if (!active || finished) {
      say("Scored " + score + " / 100 in Sparring" + (finished ? " (already recorded)." : "."));
      return;
    }
    lms.report(score, d.passed);
    lms.commit();
    lms.finish();
    finished = true;
    say("Scored " + score + " / 100 (" + (d.passed ? "passed" : "not passed") + "): recorded in your course.");
  });

  window.addEventListener("pagehide", function () {
    if (active && !finished) {
      finished = true;
      lms.commit();
      lms.finish();
    }
  });
}());
