// The location picker of the report and help forms: the place boundaries as the map (no
// tile server), a tap or the browser's position fills the hidden lat/lon fields. The server
// decides where the point belongs (and refuses one outside every boundary); the text under
// the map only says which place the point looks to be in. Names are set as text, never HTML.
(function () {
  "use strict";
  var el = document.getElementById("picker-map");
  var configEl = document.getElementById("picker-config");
  if (!el || !configEl || typeof L === "undefined") { return; }
  var config = JSON.parse(configEl.textContent);
  var lat = document.getElementById("lat");
  var lon = document.getElementById("lon");
  var chosen = document.getElementById("picker-chosen");
  var buttons = document.querySelector(".picker-buttons");
  var places = [];  // {name, depth, rings: [[[lon, lat], ...], ...]} per polygon
  var marker = null;

  el.hidden = false;
  buttons.hidden = false;
  var map = L.map(el, { attributionControl: false, zoomSnap: 0.25 });
  var colours = ["#44546a", "#1f4e9c", "#6a3d9a", "#1f6f5c", "#c0392b"];

  function say(text, outside) {
    chosen.textContent = "";
    var small = document.createElement("small");
    small.textContent = text;
    chosen.appendChild(small);
    chosen.classList.toggle("outside", !!outside);
  }

  // Even-odd ray casting over a polygon's rings (outer ring and holes).
  function inRings(rings, x, y) {
    var inside = false;
    rings.forEach(function (ring) {
      for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
        var xi = ring[i][0], yi = ring[i][1], xj = ring[j][0], yj = ring[j][1];
        if ((yi > y) !== (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi) {
          inside = !inside;
        }
      }
    });
    return inside;
  }

  function placeAt(latValue, lonValue) {
    var best = null;
    places.forEach(function (p) {
      if (inRings(p.rings, lonValue, latValue) && (!best || p.depth > best.depth)) { best = p; }
    });
    return best;
  }

  function choose(latValue, lonValue) {
    lat.value = latValue.toFixed(6);
    lon.value = lonValue.toFixed(6);
    var ll = [latValue, lonValue];
    if (marker) { marker.setLatLng(ll); } else {
      marker = L.circleMarker(ll, { radius: 8, color: "#b3261e", fillOpacity: 0.8,
                                    className: "picker-point" }).addTo(map);
    }
    var text = config.chosen + " " + lat.value + ", " + lon.value;
    var place = placeAt(latValue, lonValue);
    if (place) { say(text + " · " + config.in_place + " " + place.name); }
    else if (places.length) { say(text + " · " + config.outside, true); }
    else { say(text); }
    el.dataset.chosen = lat.value + "," + lon.value;
  }

  function clear() {
    lat.value = "";
    lon.value = "";
    if (marker) { map.removeLayer(marker); marker = null; }
    say(config.none);
    delete el.dataset.chosen;
  }

  map.on("click", function (e) { choose(e.latlng.lat, e.latlng.lng); });
  document.getElementById("picker-clear").addEventListener("click", clear);
  document.getElementById("picker-locate").addEventListener("click", function () {
    if (!navigator.geolocation) { say(config.denied, true); return; }
    say(config.locating);
    navigator.geolocation.getCurrentPosition(function (pos) {
      choose(pos.coords.latitude, pos.coords.longitude);
      map.setView([pos.coords.latitude, pos.coords.longitude], Math.max(map.getZoom(), 15));
    }, function () { say(config.denied, true); }, { enableHighAccuracy: true, timeout: 15000 });
  });

  var bounds = null;
  function fit() {
    map.invalidateSize();
    if (marker) { map.setView(marker.getLatLng(), Math.max(map.getZoom() || 0, 15)); }
    else if (bounds) { map.fitBounds(bounds.pad(0.05)); }
  }
  // The help form sits in a <details>: Leaflet needs its size once it is opened.
  var details = el.closest("details");
  if (details) { details.addEventListener("toggle", function () { if (details.open) { fit(); } }); }

  fetch(config.url, { credentials: "same-origin" })
    .then(function (r) { return r.json(); })
    .then(function (data) {
      var layer = L.geoJSON(data, {
        style: function (f) {
          var depth = f.properties.depth;
          return { color: colours[depth] || "#333", weight: depth >= 4 ? 1.5 : 2.5,
                   fillOpacity: depth >= 4 ? 0.12 : 0.03, interactive: false };
        },
      }).addTo(map);
      data.features.forEach(function (f) {
        var p = f.properties;
        var name = config.lang === "en" && p.name_en ? p.name_en : p.name_zh;
        var polys = f.geometry.type === "Polygon" ? [f.geometry.coordinates]
          : f.geometry.coordinates;
        polys.forEach(function (rings) { places.push({ name: name, depth: p.depth, rings: rings }); });
      });
      if (layer.getLayers().length) { bounds = layer.getBounds(); } else { map.setView([31.2, 121.4], 11); }
      if (lat.value && lon.value) { choose(parseFloat(lat.value), parseFloat(lon.value)); }
      fit();
      el.dataset.features = String(layer.getLayers().length);
    });
})();
