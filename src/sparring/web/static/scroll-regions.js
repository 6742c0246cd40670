// Tables wider than their box scroll sideways inside it (app.css); a keyboard user must be able to reach and
// scroll them, so every such table (or its scroll wrapper) that actually overflows becomes focusable and gets a
// name from its section's heading. Loaded on every page from base.html (script-src 'self'; no inline code).
(function () {
  "use strict";
  function label(el) {
    const section = el.closest("section, details, .card");
    const heading = section && section.querySelector("h2, h3, summary, caption");
    return heading ? heading.textContent.trim().slice(0, 80) : "Table";
  }
  function mark() {
    document.querySelectorAll("main table, main .table-scroll").forEach(function (el) {
      const scrolls = el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX !== "visible";
      if (scrolls && !el.hasAttribute("tabindex")) {
        el.setAttribute("tabindex", "0");
        el.dataset.scrollRegion = "1";
        if (!el.hasAttribute("role") && el.tagName !== "TABLE") el.setAttribute("role", "region");
        if (!el.hasAttribute("aria-label") && el.tagName !== "TABLE") el.setAttribute("aria-label", label(el));
      } else if (!scrolls && el.dataset.scrollRegion) {
        el.removeAttribute("tabindex");
        delete el.dataset.scrollRegion;
      }
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", mark);
  else mark();
  window.addEventListener("resize", mark);
})();
