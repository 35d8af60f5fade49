// The place hierarchy drawn from its own boundaries (no tile server): outer levels as
// light areas, grids on top with their codes as tooltips.
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("places-map-config").textContent);
  var map = L.map("places-map", { attributionControl: false, zoomSnap: 0.25 });
  var colours = ["#44546a", "#1f4e9c", "#6a3d9a", "#1f6f5c", "#c0392b"];
  L.control.scale().addTo(map);

  fetch(config.url, { credentials: "same-origin" })
    .then(function (r) { return r.json(); })
    .then(function (data) {
      var layer = L.geoJSON(data, {
        style: function (feature) {
          var depth = feature.properties.depth;
          return {
            color: colours[depth] || "#333",
            weight: depth >= 4 ? 1.5 : 2.5,
            fillOpacity: depth >= 4 ? 0.15 : 0.04,
            className: "place-" + feature.properties.level,
          };
        },
        onEachFeature: function (feature, shape) {
          var p = feature.properties;
          var name = config.lang === "en" && p.name_en ? p.name_en : p.name_zh;
          // Text, never HTML: names come from uploaded files.
          var label = document.createElement("span");
          label.textContent = name + " · " + p.code;
          shape.bindTooltip(label, { sticky: true });
        },
      }).addTo(map);
      // Fit the innermost level drawn (an office's grids), not the whole city around them:
      // under a city-wide outline the grids just imported would be a speck in the middle.
      var deepest = -1, inner = L.featureGroup();
      layer.eachLayer(function (shape) {
        deepest = Math.max(deepest, shape.feature.properties.depth);
      });
      layer.eachLayer(function (shape) {
        if (shape.feature.properties.depth === deepest) { inner.addLayer(shape); }
      });
      if (layer.getLayers().length) {
        map.fitBounds(inner.getBounds().pad(0.15));
      } else {
        map.setView([0, 0], 2);
      }
      document.getElementById("places-map").dataset.features = String(layer.getLayers().length);
    });
})();
