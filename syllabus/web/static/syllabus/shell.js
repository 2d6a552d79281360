/* Small behaviours of the shell, as a file rather than inline handlers, so that the strict
   Content-Security-Policy (syllabus/web/csp.py) allows them (loaded after htmx, before it starts):
   - [data-submit-on-change]: a select that submits its form when changed (the language menu);
   - a.bookmarklet: a link meant to be dragged to the bookmarks bar does nothing when clicked. */
(function () {
  "use strict";
  /* htmx would inject its indicator <style> at start-up, which the policy refuses: the same
     rules are in syllabus.css.  (Pages keep <meta name="htmx-config"> for their own settings.) */
  if (window.htmx) window.htmx.config.includeIndicatorStyles = false;
  document.addEventListener("change", function (e) {
    var el = e.target;
    if (el && el.matches && el.matches("[data-submit-on-change]") && el.form) el.form.submit();
  });
  document.addEventListener("click", function (e) {
    var link = e.target && e.target.closest ? e.target.closest("a.bookmarklet") : null;
    if (link) e.preventDefault();
  });
})();
