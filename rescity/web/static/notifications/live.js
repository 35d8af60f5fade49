// The notifications page: new notifications appear at the top of the list as they arrive
// (events from stream.js, which must be loaded first).
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("notify-config").textContent);
  var list = document.getElementById("notify-list");
  var status = document.getElementById("notify-live");
  if (!list) { return; }
  document.addEventListener("rescity:stream", function (event) {
    var open = event.detail.state === "open";
    status.textContent = open ? config.live : config.offline;
    status.dataset.state = event.detail.state;
  });
  document.addEventListener("rescity:notification", function (event) {
    var n = event.detail;
    if (list.querySelector('[data-id="' + n.id + '"]')) { return; }
    var empty = document.getElementById("notify-empty");
    if (empty) { empty.remove(); }
    var item = document.createElement("li");
    item.className = "notify-item new" + (n.urgent ? " urgent" : "");
    item.dataset.id = String(n.id);
    var strong = document.createElement("strong");
    var title = n.urgent ? config.urgent + " " + n.subject : n.subject;
    if (n.link && n.link.charAt(0) === "/" && n.link.charAt(1) !== "/") {
      var a = document.createElement("a");
      a.href = n.link;
      a.textContent = title;
      strong.appendChild(a);
    } else {
      strong.textContent = title;
    }
    item.appendChild(strong);
    if (n.body) {
      item.appendChild(document.createElement("br"));
      var body = document.createElement("span");
      body.textContent = n.body;
      item.appendChild(body);
    }
    list.insertBefore(item, list.firstChild);
  });
})();
