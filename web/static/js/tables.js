/* The table's filter form sends only the fields that are set, so the address bar holds a
   short URL to bookmark or share. Without JavaScript the form works the same, with the
   empty fields in the URL. */
(function () {
  "use strict";
  var form = document.querySelector("form.table-filters");
  if (!form) { return; }
  var defaultLimit = form.getAttribute("data-default-limit");

  function each(fn) { Array.prototype.forEach.call(form.elements, fn); }

  form.addEventListener("submit", function () {
    each(function (el) {
      if (!el.name) { return; }
      if (el.value === "" || (el.name === "limit" && el.value === defaultLimit)) { el.disabled = true; }
    });
  });
  /* Back to this page from the browser's history: the form as it was, every field enabled. */
  window.addEventListener("pageshow", function () { each(function (el) { el.disabled = false; }); });
})();
