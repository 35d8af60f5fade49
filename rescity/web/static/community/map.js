// The staff map: place boundaries as the map (no tile server), open cases, help requests
// and alerts as markers coloured by grid and shaped by kind; items without coordinates are
// counted in one labelled marker at their grid. Every label is set as text, never HTML.
(function () {
  "use strict";
  var el = document.getElementById("staff-map");
  var configEl = document.getElementById("staff-map-config");
  if (!el || !configEl || typeof L === "undefined") { return; }
  var config = JSON.parse(configEl.textContent);
  el.hidden = false;
  var map = L.map(el, { attributionControl: false, zoomSnap: 0.25 });
  L.control.scale().addTo(map);
  var levels = ["#44546a", "#1f4e9c", "#6a3d9a", "#1f6f5c", "#555"];

  function colour(n) { return n === null || n === undefined ? "#555" : config.palette[n % config.palette.length]; }

  function text(tag, value) {
    var node = document.createElement(tag);
    node.textContent = value;
    return node;
  }

  function popup(p) {
    var box = document.createElement("div");
    box.appendChild(text("strong", p.public_id + " · " + (config.kind[p.kind] || p.kind)));
    box.appendChild(document.createElement("br"));
    box.appendChild(text("span", p.type_label + " · " + p.status_label + (p.grid ? " · " + p.grid : "")));
    if (p.link) {
      box.appendChild(document.createElement("br"));
      var a = text("a", config.open);
      a.href = p.link;
      box.appendChild(a);
    }
    return box;
  }

  var bounds = L.latLngBounds([]);
  var places = fetch(config.places, { credentials: "same-origin" }).then(function (r) { return r.json(); });
  var items = fetch(config.items + "?" + config.query, { credentials: "same-origin" })
    .then(function (r) { return r.json(); });

  places.then(function (data) {
    var layer = L.geoJSON(data, {
      style: function (f) {
        var depth = f.properties.depth;
        return { color: levels[depth] || "#333", weight: depth >= 4 ? 1.2 : 2.2,
                 fillOpacity: depth >= 4 ? 0.06 : 0.02 };
      },
      onEachFeature: function (f, shape) {
        var p = f.properties;
        shape.bindTooltip(text("span", (config.lang === "en" && p.name_en ? p.name_en : p.name_zh) + " · " + p.code), { sticky: true });
      },
    }).addTo(map);
    if (layer.getLayers().length) { bounds.extend(layer.getBounds()); }
    return items;
  }).then(function (data) {
    var located = 0;
    var markers = L.featureGroup().addTo(map);
    data.features.forEach(function (f) {
      var p = f.properties;
      if (!p.located || !f.geometry) { return; }
      var c = f.geometry.coordinates;
      var icon = L.divIcon({ className: "map-item kind-" + p.kind, iconSize: [14, 14] });
      // located items above the grid counts, which sit at a point inside the grid
      var m = L.marker([c[1], c[0]], { icon: icon, keyboard: true, title: p.public_id,
                                       zIndexOffset: 1000 });
      m.on("add", function () {
        var node = m.getElement();
        node.style.background = colour(p.colour);
        node.dataset.kind = p.kind;
        node.dataset.grid = p.grid || "";
      });
      m.bindPopup(popup(p));
      m.addTo(markers);
      located += 1;
    });
    data.grids.forEach(function (g) {
      var n = 0;
      Object.keys(g.unlocated).forEach(function (k) { n += g.unlocated[k]; });
      if (!n || !g.anchor) { return; }
      var label = g.code + ": " + n;
      var icon = L.divIcon({ className: "map-grid-count", html: "", iconSize: null });
      var m = L.marker([g.anchor[1], g.anchor[0]], { icon: icon, title: label,
                                                     zIndexOffset: -1000 });
      m.on("add", function () {
        var node = m.getElement();
        node.textContent = label;
        node.style.borderColor = colour(g.colour);
        node.dataset.grid = g.code;
      });
      var box = document.createElement("div");
      box.appendChild(text("strong", g.name + " · " + g.code));
      box.appendChild(document.createElement("br"));
      var parts = Object.keys(g.unlocated).map(function (k) {
        return (config.kind[k] || k) + " " + g.unlocated[k];
      });
      box.appendChild(text("span", config.unlocated + ": " + parts.join(", ")));
      m.bindPopup(box);
      m.addTo(markers);
    });
    if (markers.getLayers().length) { bounds.extend(markers.getBounds()); }
    if (bounds.isValid()) { map.fitBounds(bounds.pad(0.05), { maxZoom: 17 }); }
    else { map.setView([31.2, 121.4], 11); }
    el.dataset.markers = String(located);
    el.dataset.ready = "1";
  });
})();
