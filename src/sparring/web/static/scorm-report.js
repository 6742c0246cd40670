/* A rep started from a SCORM package (docs/integrations.md, "SCORM"): post its score to the launch page that
   opened this window. The server put the allowed origin on #scorm-report only when it is in
   SPARRING_SCORM_ORIGINS; postMessage's targetOrigin makes the browser deliver it to that origin only. */
(function () {
  "use strict";
  var el = document.getElementById("scorm-report");
  if (!el) { return; }
  var origin = el.getAttribute("data-origin");
  var message = {
    type: "sparring:scored",
    rep: Number(el.getAttribute("data-rep")),
    score: Number(el.getAttribute("data-score")),
    passed: el.getAttribute("data-passed") === "true",
    scenario: el.getAttribute("data-scenario")
  };
  if (!window.opener || window.opener.closed) {
    el.textContent = "The course window that opened this rep is closed: open the activity in your course again " +
      "and practise from there to have a score recorded.";
    return;
  }
  window.opener.postMessage(message, origin);
  el.textContent = "Your score was sent to your course. You can close this window.";
}());
