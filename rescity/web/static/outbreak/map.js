// Cases with coordinates on a Leaflet map without any tile server (the health office's page
// only): a point per case, coloured by status; labels are set as text, never parsed as HTML.
(function () {
  "use strict";
  var el = document.getElementById("ob-map");
  var points = JSON.parse(document.getElementById("ob-map-points").textContent);
  if (!el || typeof L === "undefined") { return; }
  var colours = { suspected: "#d98e04", confirmed: "#b3261e", recovered: "#1f6f5c" };
  var map = L.map(el, { attributionControl: false }).setView([30, 114], 3);
  L.control.scale().addTo(map);
  var layer = L.featureGroup().addTo(map);
  points.forEach(function (p) {
    var marker = L.circleMarker([p.lat, p.lon], {
      radius: 7, color: colours[p.status] || "#555", fillOpacity: 0.7,
      className: "ob-point ob-" + p.status,
    });
    var label = document.createElement("span");
    label.textContent = p.label;
    marker.bindTooltip(label);
    marker.addTo(layer);
  });
  if (layer.getLayers().length) {
    map.fitBounds(layer.getBounds().pad(0.5), { maxZoom: 17 });
  }
})();
