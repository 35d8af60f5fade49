// Keeps part of a page current without reloading: when a notification arrives (events from
// /static/notifications/stream.js, loaded after this script) whose kind starts with
// data-kinds (comma-separated) and, with data-same-link, whose link is this page, the page is
// fetched again and the element data-region names is replaced by its new content. That
// element's data-stream says whether the stream is "open" or "reconnecting".
(function () {
  "use strict";
  var script = document.currentScript;
  var regionId = script.dataset.region;
  var kinds = (script.dataset.kinds || "").split(",").filter(Boolean);
  var sameLink = script.dataset.sameLink !== undefined;
  var busy = false, again = false;
  function wanted(n) {
    var kindOk = !kinds.length || kinds.some(function (k) { return n.kind.indexOf(k) === 0; });
    return kindOk && (!sameLink || n.link === window.location.pathname);
  }
  function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    fetch(window.location.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById(regionId);
        var region = document.getElementById(regionId);
        if (fresh && region) {
          region.innerHTML = fresh.innerHTML;
          region.dataset.refreshed = String(Date.now());
          document.dispatchEvent(new CustomEvent("rescity:refreshed", { detail: { region: regionId } }));
        }
      })
      .catch(function () { /* the next notification tries again */ })
      .then(function () {
        busy = false;
        if (again) { again = false; refresh(); }
      });
  }
  document.addEventListener("rescity:stream", function (event) {
    var region = document.getElementById(regionId);
    if (region) { region.dataset.stream = event.detail.state; }
  });
  document.addEventListener("rescity:notification", function (event) {
    if (wanted(event.detail)) { refresh(); }
  });
})();
