// The API reference (/api/docs): Swagger UI from the files Sparring serves itself (no CDN), started here
// rather than in an inline script so the page runs under the app's CSP (script-src 'self').
window.addEventListener("DOMContentLoaded", function () {
  window.ui = SwaggerUIBundle({
    url: document.body.dataset.openapi,
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
});
