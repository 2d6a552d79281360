// LMS-3: type-ahead on the sign-in page's list of identity providers (sso/_buttons.html).
// Without this script the search form filters on the server; with it, the list is filtered as
// one types (every word must appear), and the count is announced in its live region.
(function () {
  "use strict";
  function setUp(input) {
    var list = document.getElementById(input.getAttribute("data-sso-filter"));
    var count = document.getElementById(input.getAttribute("aria-describedby"));
    if (!list || !count) return;
    var items = Array.prototype.slice.call(list.querySelectorAll("li[data-search]"));
    var template = count.textContent;
    var timer = null;
    function filter() {
      var terms = input.value.toLowerCase().split(/\s+/).filter(Boolean);
      var shown = 0;
      items.forEach(function (item) {
        var text = item.getAttribute("data-search");
        var match = terms.every(function (t) { return text.indexOf(t) !== -1; });
        item.hidden = !match;
        if (match) shown += 1;
      });
      count.textContent = terms.length ? count.getAttribute("data-count").replace("%s", String(shown)) : template;
    }
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(filter, 120);   // announce once typing pauses, not at every key
    });
  }
  function ready() {
    Array.prototype.forEach.call(document.querySelectorAll("input[data-sso-filter]"), setUp);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", ready);
  else ready();
})();
