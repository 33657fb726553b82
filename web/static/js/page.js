/* What every page does for itself, as a file: the Content-Security-Policy runs no inline
 * script or on…= attribute (web/security_headers.py), so the templates mark elements with
 * data-* attributes and this script gives them their behaviour.
 *
 *   .topbar nav [aria-current]  on a phone the menu scrolls sideways: open it at that link
 *   form[data-confirm]           ask before submitting (the attribute holds the question)
 *   [data-print]                 a button that prints the page
 */
(function () {
  "use strict";
  var here = document.querySelector('.topbar nav [aria-current="page"]');
  if (here && here.scrollIntoView) { here.scrollIntoView({ block: "nearest", inline: "nearest" }); }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form && form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) { event.preventDefault(); }
  });

  document.addEventListener("click", function (event) {
    var target = event.target;
    var button = target && target.closest ? target.closest("[data-print]") : null;
    if (button) { event.preventDefault(); window.print(); }
  });
})();
