// The signed-in user's notification stream for any page: include this script and listen for
//   document.addEventListener("rescity:notification", function (e) { e.detail … })
// (e.detail: id, kind, subject, body, urgent, link, created_at, read) and for
// "rescity:stream" (e.detail.state: "open" or "reconnecting"). One EventSource per page; the
// browser reconnects by itself and resumes after the last event it saw (Last-Event-ID).
// data-after="ID" on the script tag starts after that notification (default: from now on).
(function () {
  "use strict";
  if (!window.EventSource || window.rescityStream) { return; }
  var script = document.currentScript;
  var after = script && script.dataset.after;
  var url = "/api/notifications/stream" + (after ? "?after=" + encodeURIComponent(after) : "");
  var source = new EventSource(url);
  window.rescityStream = source;
  function state(value) {
    document.dispatchEvent(new CustomEvent("rescity:stream", { detail: { state: value } }));
  }
  source.onopen = function () { state("open"); };
  source.onerror = function () { state("reconnecting"); };
  source.addEventListener("notification", function (event) {
    document.dispatchEvent(new CustomEvent("rescity:notification",
                                           { detail: JSON.parse(event.data) }));
  });
})();
