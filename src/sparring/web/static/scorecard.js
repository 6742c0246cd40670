// Scorecard page: selecting a criterion highlights its evidence turns in the transcript.
(function () {
  "use strict";
  const buttons = document.querySelectorAll("button.criterion");
  const turns = document.querySelectorAll("#transcript .turn");
  const status = document.getElementById("evidence-status");
  function clear() {
    turns.forEach((t) => t.classList.remove("highlight", "dim"));
    buttons.forEach((b) => b.setAttribute("aria-pressed", "false"));
    if (status) status.textContent = "";
  }
  buttons.forEach((btn) => {
    btn.addEventListener("click", () => {
      const wasOn = btn.getAttribute("aria-pressed") === "true";
      clear();
      if (wasOn) return;
      btn.setAttribute("aria-pressed", "true");
      const ids = (btn.dataset.evidence || "").split(",").filter(Boolean);
      let first = null;
      turns.forEach((t) => {
        if (ids.includes(t.dataset.index)) { t.classList.add("highlight"); first = first || t; }
        else t.classList.add("dim");
      });
      if (status) {
        status.textContent = ids.length
          ? btn.dataset.name + ": " + ids.length + " evidence turn" + (ids.length > 1 ? "s" : "") + " highlighted."
          : btn.dataset.name + ": no evidence turns.";
      }
      if (first) first.scrollIntoView({ behavior: "smooth", block: "center" });
    });
  });
})();
