// ANL-1: tell the server which access link or "Find it" of an item a reader followed.
// One small POST per click, sent with keepalive so that it survives the navigation.
(function () {
  var root = document.querySelector("[data-usage-endpoint]");
  if (!root) { return; }
  var endpoint = root.getAttribute("data-usage-endpoint");
  var token = root.getAttribute("data-usage-token");
  document.addEventListener("click", function (event) {
    var link = event.target.closest("a[href]");
    if (!link) { return; }
    var item = link.closest("li.item[id^='item-']");
    if (!item) { return; }
    var kind = null, detail = "";
    if (link.matches("[data-testid='find-it']")) {
      kind = "findit_click";
    } else {
      var access = link.closest(".access-online > li");
      if (!access) { return; }
      kind = "item_open";
      var siblings = Array.prototype.slice.call(access.parentNode.children);
      detail = (access.getAttribute("data-kind") || "link") + ":" + siblings.indexOf(access);
    }
    var body = new FormData();
    body.append("kind", kind);
    body.append("citation", item.id.slice(5));
    body.append("link", detail);
    try {
      fetch(endpoint, {method: "POST", body: body, keepalive: true, credentials: "same-origin",
                       headers: {"X-CSRFToken": token}});
    } catch (e) { /* recording never gets in the reader's way */ }
  }, true);
})();
