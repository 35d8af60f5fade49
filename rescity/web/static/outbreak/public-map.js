// The public case map: the grids of each stored release drawn from their own outlines (no
// tile server), coloured by the published, noised count of the period chosen in the selector.
// Withheld cells ("<k") are hatched grey. The numbers come from the page's JSON block, which
// holds the release as stored; names and counts are set as text, never parsed as HTML.
(function () {
  "use strict";
  if (typeof L === "undefined") { return; }

  function classFor(classes, n) {
    for (var i = 0; i < classes.length; i++) {
      if (n >= classes[i].low && n <= classes[i].high) { return classes[i]; }
    }
    return null;
  }

  function draw(section) {
    var data = JSON.parse(section.querySelector(".ob-map-data").textContent);
    var el = section.querySelector(".ob-public-map");
    var select = section.querySelector(".ob-period");
    var caption = section.querySelector(".ob-map-caption");
    if (!el) { return; }
    var map = L.map(el, { attributionControl: false, zoomSnap: 0.25 });
    L.control.scale().addTo(map);
    var shapes = [];
    var label = section.dataset.lang === "en" ? "name_en" : "name_zh";

    function show(period) {
      var counts = data.counts[period] || {};
      shapes.forEach(function (shape) {
        var code = shape.feature.properties.code;
        var n = counts[code];
        var withheld = n === null || n === undefined;
        var cls = withheld ? null : classFor(data.classes, n);
        shape.setStyle({ fillColor: cls ? cls.colour : "#d9d9d9", fillOpacity: withheld ? 1 : 0.9 });
        var path = shape.getElement();
        if (path) {
          path.classList.toggle("ob-withheld", withheld);
          path.setAttribute("data-count", withheld ? "" : String(n));
        }
        var text = withheld ? "<" + data.k : String(n);
        shape.setTooltipContent(text);
        shape.obText = text;
      });
      if (caption) { caption.textContent = caption.dataset.template.replace("{period}", periodLabel(period)); }
      el.dataset.period = period;
    }

    function periodLabel(period) {
      var option = select ? select.querySelector('option[value="' + period + '"]') : null;
      return option ? option.textContent : period;
    }

    fetch(data.geojson, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (geo) {
        var labelled = geo.features.length <= data.maxLabelled;
        var layer = L.geoJSON(geo, {
          style: function () {
            return { color: "#37474f", weight: 1.5, fillOpacity: 0.9, className: "ob-cell" };
          },
          onEachFeature: function (feature, shape) {
            shapes.push(shape);
            shape.bindTooltip("", {
              permanent: labelled, direction: "center", className: "ob-label",
            });
            shape.on("click", function () {
              var p = feature.properties;
              var box = document.createElement("span");
              box.textContent = (p[label] || p.name_zh || p.code) + " · " + shape.obText;
              shape.bindPopup(box).openPopup();
            });
          },
        }).addTo(map);
        if (layer.getLayers().length) {
          // Room for the zoom buttons (top left) and the scale bar (bottom left).
          map.fitBounds(layer.getBounds(), { paddingTopLeft: [44, 12], paddingBottomRight: [12, 40] });
        } else {
          map.setView([0, 0], 2);
        }
        show(select ? select.value : data.periods[data.periods.length - 1]);
        el.dataset.features = String(layer.getLayers().length);
        if (select) { select.addEventListener("change", function () { show(select.value); }); }
      });
  }

  document.querySelectorAll(".ob-release").forEach(draw);
})();
