/* Small behaviours of the shell, as a file rather than inline handlers, so that the strict
   Content-Security-Policy (syllabus/web/csp.py) allows them (loaded after htmx, before it starts):
   - [data-submit-on-change]: a select that submits its form when changed (the language menu);
   - a.bookmarklet: a link meant to be dragged to the bookmarks bar does nothing when clicked;
   - a[data-inplace]: a link to a page of its own (a form) whose hx-get loads that form in place,
     into its hx-target (a [data-inplace-region]): when it arrives the focus moves into it; Escape
     in it, or its [data-inplace-cancel] link, empties the region and gives the focus back to the
     link (WCAG 2.4.3).  Without JavaScript the link simply opens the page. */
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

  function openerOf(region) {
    return document.getElementById(region.getAttribute("data-refocus") || "");
  }
  function closeRegion(region) {
    var opener = openerOf(region);
    region.innerHTML = "";
    if (opener) {
      opener.setAttribute("aria-expanded", "false");
      opener.focus();
    }
  }
  document.addEventListener("htmx:afterSwap", function (e) {
    var region = e.detail.target, opener = e.detail.requestConfig && e.detail.requestConfig.elt;
    if (!region || !region.matches("[data-inplace-region]") || !opener || !opener.matches("[data-inplace]")) return;
    if (!region.querySelector("form")) return;
    opener.setAttribute("aria-expanded", "true");
    opener.setAttribute("aria-controls", region.id);
    var first = region.querySelector("input:not([type=hidden]), select, textarea, button");
    if (first) first.focus();
  });
  document.addEventListener("click", function (e) {
    var cancel = e.target && e.target.closest ? e.target.closest("[data-inplace-cancel]") : null;
    var region = cancel && cancel.closest("[data-inplace-region]");
    if (!region) return;  // on the form's own page: the link goes back to the editor
    e.preventDefault();
    closeRegion(region);
  });
  document.addEventListener("keydown", function (e) {
    if (e.key !== "Escape" || e.defaultPrevented) return;
    var region = e.target && e.target.closest ? e.target.closest("[data-inplace-region]") : null;
    if (!region || !region.firstElementChild) return;
    e.preventDefault();
    closeRegion(region);
  });
})();
