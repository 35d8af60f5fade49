// Partner cities and initiatives on a Leaflet map drawn without any tile server: points on
// a graticule, loaded from the page's GeoJSON URL (the same filters as the search page).
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("kb-map-config").textContent);
  var map = L.map("kb-map", { worldCopyJump: true, attributionControl: true })
    .setView([35, 60], 2);
  map.attributionControl.setPrefix("");
  var grid = [];
  for (var lat = -60; lat <= 75; lat += 15) {
    grid.push([[lat, -180], [lat, 180]]);
  }
  for (var lon = -180; lon <= 180; lon += 30) {
    grid.push([[-60, lon], [75, lon]]);
  }
  L.polyline(grid, { color: "#ccd", weight: 1, interactive: false }).addTo(map);
  L.control.scale().addTo(map);

  function esc(text) {
    var div = document.createElement("div");
    div.textContent = text == null ? "" : String(text);
    return div.innerHTML;
  }

  fetch(config.url, { credentials: "same-origin" })
    .then(function (r) { return r.json(); })
    .then(function (data) {
      var counts = { city: 0, initiative: 0 };
      var layer = L.geoJSON(data, {
        pointToLayer: function (feature, latlng) {
          var p = feature.properties;
          counts[p.kind] += 1;
          var city = p.kind === "city";
          return L.circleMarker(latlng, {
            radius: city ? 6 : 4,
            color: city ? "#1f4e9c" : "#1f6f5c",
            fillOpacity: city ? 0.5 : 0.8,
            className: "kb-marker-" + p.kind,
          });
        },
        onEachFeature: function (feature, marker) {
          var p = feature.properties;
          var html = p.kind === "city"
            ? '<a href="/kb/cities/' + encodeURIComponent(p.key) + '">' +
              esc(config.lang === "zh" ? (p.name_zh || p.name_en) : (p.name_en || p.name_zh)) +
              "</a><br>" + esc(p.programmes.join(", "))
            : '<a href="/kb/initiatives/' + encodeURIComponent(p.key) + '">' +
              esc(config.lang === "zh" ? p.title_zh : p.title_en) + "</a>";
          marker.bindPopup(html);
        },
      }).addTo(map);
      if (layer.getLayers().length) {
        map.fitBounds(layer.getBounds().pad(0.2));
      }
      document.getElementById("kb-map-count").textContent =
        counts.city + " · " + counts.initiative;
    });
})();
