/* rescity assess: run an assessment in the background, then explore it on a Leaflet map.
 * No map tiles are loaded from anywhere: the street network is drawn from the app's GeoJSON.
 * Text comes from the page's JSON block (#assess-data), rendered from the i18n catalogs. */
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("assess-data").textContent);
  const T = data.t;
  const zh = data.lang === "zh";
  const $ = (id) => document.getElementById(id);
  const state = { job: null, map: null, network: null, base: {}, control: null,
                  walk: null, reached: null, sites: null, legend: null };

  function label(o) { return zh ? o.zh : o.en; }
  function range(index) { return index === "transport" ? 3 : 1; }
  const STOPS = [[165, 0, 38], [244, 109, 67], [254, 224, 139], [217, 239, 139],
                 [102, 189, 99], [0, 104, 55]];
  function colour(v, index) {
    if (v === null || v === undefined) return "#bbbbbb";
    const t = Math.max(0, Math.min(1, v / range(index))) * (STOPS.length - 1);
    const i = Math.min(Math.floor(t), STOPS.length - 2);
    const f = t - i;
    const c = STOPS[i].map((a, k) => Math.round(a + f * (STOPS[i + 1][k] - a)));
    return "rgb(" + c.join(",") + ")";
  }
  function el(tag, text, cls) {
    const e = document.createElement(tag);
    if (text !== undefined) e.textContent = text;
    if (cls) e.className = cls;
    return e;
  }
  async function getJSON(url) {
    const r = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
    const body = await r.json();
    if (!r.ok) throw new Error(body.message || r.statusText);
    return body;
  }

  /* ---- jobs ---- */
  function showStatus(job) {
    $("job-status").hidden = false;
    $("job-extract").textContent = job.extract;
    $("job-state").textContent = T[job.state] || job.state;
    $("job-state").dataset.state = job.state;
    $("job-stage").textContent = job.stage ? "· " + T.stage + ": " + job.stage : "";
    $("job-progress").value = job.progress;
    $("job-error").hidden = !job.error;
    $("job-error").textContent = job.error || "";
  }
  async function poll(id) {
    const job = await getJSON("/api/assess/jobs/" + id);
    showStatus(job);
    if (job.state === "done") return load(id);
    if (job.state !== "failed") setTimeout(() => poll(id), 700);
  }
  $("run-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const form = new FormData($("run-form"));
    if (!$("file").files.length) form.delete("file");
    $("run").setAttribute("aria-busy", "true");
    try {
      const r = await fetch("/api/assess/jobs", { method: "POST", body: form,
        credentials: "same-origin", headers: { "X-CSRF-Token": data.csrf, Accept: "application/json" } });
      const job = await r.json();
      if (!r.ok) throw new Error(job.message || r.statusText);
      showStatus(job);
      poll(job.id);
    } catch (e) {
      $("job-status").hidden = false;
      $("job-error").hidden = false;
      $("job-error").textContent = e.message;
    } finally {
      $("run").removeAttribute("aria-busy");
    }
  });

  /* ---- map ---- */
  function legendFor(index) {
    const div = el("div", undefined, "map-legend");
    const name = data.indices.find((i) => i.id === index);
    div.appendChild(el("div", name ? label(name) : index));
    div.appendChild(el("div", undefined, "bar"));
    const ends = el("div", undefined, "ends");
    ends.appendChild(el("span", "0"));
    ends.appendChild(el("span", String(range(index))));
    div.appendChild(ends);
    return div;
  }
  function setLegend(index) {
    if (state.legend) state.legend.remove();
    state.legend = L.control({ position: "bottomright" });
    state.legend.onAdd = () => legendFor(index);
    state.legend.addTo(state.map);
  }

  async function load(id) {
    state.job = id;
    const [net, origins, summary] = await Promise.all([
      getJSON("/api/assess/jobs/" + id + "/network"),
      getJSON("/api/assess/jobs/" + id + "/origins"),
      getJSON("/api/assess/jobs/" + id + "/summary"),
    ]);
    if (state.map) state.map.remove();
    const map = L.map("map", { zoomSnap: 0.25 });
    state.map = map;
    map.attributionControl.setPrefix(false);
    map.attributionControl.addAttribution(T.attribution);
    state.network = L.geoJSON(net, { interactive: false,
      style: { color: "#8a8a8a", weight: 1, opacity: 0.9 } }).addTo(map);
    state.base = {};
    const byName = {};
    for (const index of data.indices) {
      const group = L.layerGroup();
      for (const f of origins.features) {
        const p = f.properties;
        const [lon, lat] = f.geometry.coordinates;
        const m = L.circleMarker([lat, lon], {
          radius: 5, weight: 0.6, color: "#333", fillOpacity: 0.9,
          fillColor: colour(p[index.id], index.id),
          className: "origin-marker" + (p.snapped ? " snapped" : "") + " oid-" + p.oid,
        });
        const score = p[index.id] === null ? "–" : p[index.id].toFixed(3);
        // OSM names are text, never HTML: a Text node, which Leaflet does not parse.
        m.bindTooltip(document.createTextNode(
          (p.name ? p.name + " · " : "") + label(index) + ": " + score));
        m.on("click", () => showReach(p.oid));
        group.addLayer(m);
      }
      state.base[label(index)] = group;
      byName[label(index)] = index.id;
    }
    const first = Object.keys(state.base)[0];
    state.base[first].addTo(map);
    setLegend(data.indices[0].id);
    state.control = L.control.layers(state.base, { [T.network]: state.network },
                                     { collapsed: false }).addTo(map);
    map.on("baselayerchange", (e) => setLegend(byName[e.name]));
    L.control.scale({ imperial: false }).addTo(map);
    map.fitBounds(state.network.getBounds(), { padding: [10, 10] });
    renderSummary(summary);
    $("map").dataset.ready = "true";
  }

  function renderSummary(s) {
    const box = $("summary");
    box.replaceChildren();
    const p = el("p", s.city + " · " + T.origins + " " + s.origins + " · " + T.population + " " +
                 Math.round(s.population).toLocaleString());
    box.appendChild(p);
    const table = el("table");
    const head = el("tr");
    [T.index, T.median, T.low_share].forEach((h) => head.appendChild(el("th", h)));
    table.appendChild(head);
    for (const index of data.indices) {
      const st = s.indices[index.id];
      if (!st) continue;
      const tr = el("tr");
      tr.appendChild(el("td", label(index)));
      tr.appendChild(el("td", st.median === null ? "–" : st.median.toFixed(3)));
      tr.appendChild(el("td", st.share_low === null ? "–" : (100 * st.share_low).toFixed(1) + " %"));
      table.appendChild(tr);
    }
    box.appendChild(table);
    const gaps = s.gaps.filter((g) => g.uncovered_population > 0)
      .sort((a, b) => b.uncovered_population - a.uncovered_population).slice(0, 5);
    if (gaps.length) {
      const ul = el("ul");
      for (const g of gaps) {
        ul.appendChild(el("li", (zh ? g.zh : g.en) + ": " + T.uncovered + " " +
                          Math.round(g.uncovered_population).toLocaleString() + " (" +
                          (100 * g.uncovered_share).toFixed(0) + " %)"));
      }
      box.appendChild(ul);
    }
  }

  async function showReach(oid) {
    const r = await getJSON("/api/assess/jobs/" + state.job + "/origins/" + oid);
    if (state.walk) state.walk.remove();
    if (state.reached) state.reached.remove();
    if (r.walk_area) {
      state.walk = L.geoJSON(r.walk_area, { interactive: false,
        style: { color: "#2171b5", weight: 1.5, fillColor: "#6baed6", fillOpacity: 0.25,
                 className: "walk-area" } }).addTo(state.map);
    }
    state.reached = L.layerGroup().addTo(state.map);
    const list = $("reach-list");
    list.replaceChildren();
    $("reach-title").textContent = "#" + oid + " · " + T.reach + " (" + r.label + ", " +
      r.distance_m + " m)";
    if (!r.facilities.length) list.appendChild(el("li", T.reach_none));
    for (const f of r.facilities) {
      const items = f.items.map(label).join(", ");
      const text = (f.name || items) + (f.name ? " · " + items : "") + " — " +
        Math.round(f.distance_m) + " m";
      list.appendChild(el("li", text, "reach-item"));
      L.circleMarker([f.lat, f.lon], { radius: 4, color: "#08306b", weight: 1,
        fillColor: "#4292c6", fillOpacity: 1, className: "reached-facility" })
        .bindTooltip(document.createTextNode(text)).addTo(state.reached);
    }
    $("reach-panel").dataset.oid = String(oid);
  }

  $("site-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    if (!state.job) return;
    const item = $("site-item").value;
    const k = $("site-k").value;
    const r = await getJSON("/api/assess/jobs/" + state.job + "/siting?item=" +
                            encodeURIComponent(item) + "&k=" + encodeURIComponent(k));
    if (state.sites) state.sites.remove();
    state.sites = L.layerGroup().addTo(state.map);
    const list = $("site-list");
    list.replaceChildren();
    for (const s of r.sites) {
      const icon = L.divIcon({ className: "site-icon", html: String(s.rank), iconSize: [22, 22] });
      L.marker([s.lat, s.lon], { icon: icon }).addTo(state.sites)
        .bindTooltip("+" + Math.round(s.gain_population).toLocaleString());
      list.appendChild(el("li", s.lon.toFixed(5) + ", " + s.lat.toFixed(5) + " — " + T.gain +
        " " + Math.round(s.gain_population).toLocaleString() + " (" +
        (100 * s.cumulative_share_of_uncovered).toFixed(1) + " %)"));
    }
    let note = T.uncovered + ": " + Math.round(r.uncovered_population).toLocaleString();
    if (r.greedy_ratio !== null) note += " · greedy/exact = " + (100 * r.greedy_ratio).toFixed(1) + " %";
    $("site-note").textContent = note;
  });

  if (data.latest) poll(data.latest);
})();
