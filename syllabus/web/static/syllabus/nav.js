/* The main navigation on a narrow screen: a "Menu" button (aria-expanded) shows and hides it;
   Escape closes an open menu and gives the focus back to its summary.  Without JavaScript the
   navigation simply stays open. */
(function () {
  var NARROW = window.matchMedia("(max-width: 48rem)");
  function setup() {
    var nav = document.getElementById("main-nav");
    if (!nav) return;
    var button = nav.querySelector(".nav-toggle");
    var list = document.getElementById("main-nav-list");
    function apply() {
      if (NARROW.matches) {
        button.hidden = false;
        var open = button.getAttribute("aria-expanded") === "true" && nav.dataset.touched === "1";
        button.setAttribute("aria-expanded", open ? "true" : "false");
        list.hidden = !open;
      } else {
        button.hidden = true;
        list.hidden = false;
      }
    }
    button.addEventListener("click", function () {
      nav.dataset.touched = "1";
      var open = button.getAttribute("aria-expanded") !== "true";
      button.setAttribute("aria-expanded", open ? "true" : "false");
      list.hidden = !open;
    });
    nav.addEventListener("keydown", function (event) {
      if (event.key !== "Escape") return;
      var menu = event.target.closest("details[open]");
      if (menu) {
        menu.open = false;
        menu.querySelector("summary").focus();
      } else if (NARROW.matches && !list.hidden) {
        button.click();
        button.focus();
      }
    });
    document.addEventListener("click", function (event) {
      nav.querySelectorAll("details.nav-menu[open]").forEach(function (menu) {
        if (!menu.contains(event.target)) menu.open = false;
      });
    });
    if (NARROW.addEventListener) NARROW.addEventListener("change", apply);
    apply();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setup); else setup();
})();
