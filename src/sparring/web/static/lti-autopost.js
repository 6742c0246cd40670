// LTI deep linking (docs/lti.md): post the signed answer back to the platform without a click; the page keeps a
// Continue button for browsers without JavaScript.
document.addEventListener("DOMContentLoaded", function () {
  var form = document.getElementById("lti-autopost");
  if (form) { form.submit(); }
});
