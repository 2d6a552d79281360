/* Small behaviours of the shell, as a file rather than inline handlers, so that the strict
   Content-Security-Policy (syllabus/web/csp.py) allows them:
   - [data-submit-on-change]: a select that submits its form when changed (the language menu);
   - a.bookmarklet: a link meant to be dragged to the bookmarks bar does nothing when clicked. */
(function () {
  "use strict";
  document.addEventListener("change", function (e) {
    var el = e.target;
    if (el && el.matches && el.matches("[data-submit-on-change]") && el.form) el.form.submit();
  });
  document.addEventListener("click", function (e) {
    var link = e.target && e.target.closest ? e.target.closest("a.bookmarklet") : null;
    if (link) e.preventDefault();
  });
})();
