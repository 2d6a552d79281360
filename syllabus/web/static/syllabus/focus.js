/* Keeps a keyboard user's place when htmx replaces the part of the page that had the focus
   (WCAG 2.4.3): htmx itself refocuses an element with the same id; when there is none (a button
   without an id, a form inside a <details> that comes back closed, a deleted row), the focus goes
   to the same <details>' summary in the nearest ancestor that still exists, or to that ancestor,
   instead of falling back to the top of the page.  An ancestor with data-refocus="ID" sends the
   focus to the element ID instead (a region emptied by the swap, e.g. an item's form loaded in
   place: back to the link that opened it). */
(function () {
  "use strict";
  var place = null;
  document.addEventListener("htmx:beforeRequest", function () {
    var el = document.activeElement;
    place = null;
    if (!el || el === document.body) return;
    var ids = [], det = el.closest("details"), n;
    for (n = el; n && n !== document.body; n = n.parentElement) if (n.id && n.id !== "main") ids.push(n.id);
    if (!ids.length) return;
    place = {ids: ids, details: det && det.className ? det.className.split(/\s+/)[0] : ""};
  });
  document.addEventListener("htmx:afterSettle", function () {
    var p = place, active = document.activeElement;
    if (!p || (active && active !== document.body && document.contains(active))) return;
    place = null;
    for (var i = 0; i < p.ids.length; i++) {
      var anchor = document.getElementById(p.ids[i]);
      if (!anchor) continue;
      var det = p.details ? anchor.querySelector("details." + CSS.escape(p.details)) : null;
      var instead = anchor.getAttribute("data-refocus"), other = instead && document.getElementById(instead);
      var target = det ? det.querySelector("summary") : (other && !anchor.firstElementChild ? other : anchor);
      if (!target.matches("a[href], button:not([disabled]), input, select, textarea, summary, [tabindex]")) target.setAttribute("tabindex", "-1");
      target.focus();
      if (document.activeElement === target) return;  // else hidden (e.g. in a closed <details>): try further up
    }
  });
})();
