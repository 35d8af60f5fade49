// Presence tracing on the visitor's phone (protocol: rescity/community/tracing/domain.py).
//
// The venue's key and name arrive in the URL fragment, which the browser never sends. A
// check-in is stored only in this browser's IndexedDB, one sealed record per hour slot under
// an identifier derived from the venue key; the key is then forgotten and the fragment
// removed from the address bar and history. No request of this page carries a visit: the
// page only downloads the public list of traces and matches it here.
(function () {
  "use strict";
  var DB_NAME = "rescity-tracing";
  var STORE = "visits";
  var SLOT = 3600;
  var VERSION = "v1";
  var RETENTION_DAYS = 14;
  var PUBLISHED = "/api/community/tracing/published";

  var root = document.getElementById("trace-app");
  var L = JSON.parse(document.getElementById("trace-strings").textContent);

  function say(key, params) {
    var text = L[key] || key;
    Object.keys(params || {}).forEach(function (name) {
      text = text.split("{" + name + "}").join(String(params[name]));
    });
    return text;
  }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) node.textContent = text;  // always text, never HTML
    return node;
  }

  function show(id, visible) {
    var node = document.getElementById(id);
    if (node) node.hidden = !visible;
  }

  function when(seconds) {
    return new Date(seconds * 1000).toLocaleString(document.documentElement.lang,
      { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
  }

  // --- IndexedDB: records {id, box, day, visit}; nothing in clear says where ---------------
  function openDb() {
    return new Promise(function (resolve, reject) {
      var req = indexedDB.open(DB_NAME, 1);
      req.onupgradeneeded = function () {
        req.result.createObjectStore(STORE, { keyPath: "n", autoIncrement: true });
      };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }

  function tx(db, mode, work) {
    return new Promise(function (resolve, reject) {
      var t = db.transaction(STORE, mode);
      var result = work(t.objectStore(STORE));
      t.oncomplete = function () { resolve(result && result.result); };
      t.onerror = function () { reject(t.error); };
    });
  }

  // --- the protocol, on libsodium ------------------------------------------------------------
  function derive(S, qk, purpose, slot) {
    var label = "rescity-trace-" + VERSION + "|" + purpose + "|" + slot;
    return S.crypto_generichash(32, S.from_string(label), qk);
  }

  function b64(S, bytes) { return S.to_base64(bytes, S.base64_variants.URLSAFE_NO_PADDING); }
  function unb64(S, text) { return S.from_base64(text, S.base64_variants.URLSAFE_NO_PADDING); }

  function seal(S, key, payload) {
    var nonce = S.randombytes_buf(S.crypto_secretbox_NONCEBYTES);
    var box = S.crypto_secretbox_easy(S.from_string(JSON.stringify(payload)), nonce, key);
    var joined = new Uint8Array(nonce.length + box.length);
    joined.set(nonce);
    joined.set(box, nonce.length);
    return b64(S, joined);
  }

  function unseal(S, key, sealed) {
    var raw = unb64(S, sealed);
    var n = S.crypto_secretbox_NONCEBYTES;
    var plain = S.crypto_secretbox_open_easy(raw.subarray(n), raw.subarray(0, n), key);
    return JSON.parse(S.to_string(plain));
  }

  function readFragment(S) {
    var parts = location.hash.replace(/^#/, "").split(".");
    if (parts.length !== 3 || parts[0] !== VERSION) return null;
    try {
      var info = JSON.parse(S.to_string(unb64(S, parts[2])));
      var qk = unb64(S, parts[1]);
      if (qk.length !== 32 || typeof info.n !== "string") return null;
      return { qk: qk, name: info.n, kind: String(info.c || "other") };
    } catch (e) {
      return null;
    }
  }

  function checkIn(S, db, venue, minutes) {
    var arrival = Math.floor(Date.now() / 1000);
    var departure = arrival + minutes * 60;
    var visit = b64(S, S.randombytes_buf(12));
    var records = [];
    var first = Math.floor(arrival / SLOT);
    var last = Math.floor((departure - 1) / SLOT);
    for (var h = first; h <= last; h++) {
      var record = { n: venue.name, c: venue.kind, a: arrival, d: departure,
                     m: b64(S, derive(S, venue.qk, "msg", h)) };
      records.push({ id: S.to_hex(derive(S, venue.qk, "id", h)),
                     box: seal(S, derive(S, venue.qk, "enc", h), record),
                     day: Math.floor(h / 24), visit: visit });
    }
    S.memzero(venue.qk);  // the venue key is forgotten: only the slot records remain
    return tx(db, "readwrite", function (store) {
      records.forEach(function (r) { store.add(r); });
    }).then(function () { return { name: venue.name, departure: departure }; });
  }

  function purge(db) {
    var oldest = Math.floor(Date.now() / 1000 / 86400) - RETENTION_DAYS;
    return tx(db, "readwrite", function (store) {
      store.openCursor().onsuccess = function (ev) {
        var cursor = ev.target.result;
        if (!cursor) return;
        if (cursor.value.day < oldest) cursor.delete();
        cursor.continue();
      };
    });
  }

  function allVisits(db) {
    return tx(db, "readonly", function (store) { return store.getAll(); });
  }

  // Match the public list here: only records whose identifier is published open.
  function match(S, visits, entries) {
    var mine = {};
    visits.forEach(function (v) { mine[v.id] = v; });
    var found = {};
    entries.forEach(function (entry) {
      var visit = mine[entry.id];
      if (!visit) return;
      try {
        var record = unseal(S, unb64(S, entry.key), visit.box);
        var notice = unseal(S, unb64(S, record.m), entry.msg);
        if (record.a < notice.e && notice.s < record.d) {
          found[record.n + "|" + record.a + "|" + notice.s] = { record: record, notice: notice };
        }
      } catch (e) {
        // material that does not open belongs to another venue or slot: ignore it
      }
    });
    return Object.keys(found).map(function (k) { return found[k]; });
  }

  function showWarnings(exposures, anyVisit) {
    var list = document.getElementById("trace-warnings");
    list.replaceChildren();
    exposures.forEach(function (x) {
      var card = el("article", { "class": "trace-warning" });
      card.appendChild(el("header", {}, say("warning_title", { venue: x.record.n })));
      card.appendChild(el("p", {}, say("warning_when", {
        arrival: when(x.record.a), departure: when(x.record.d),
        start: when(x.notice.s), end: when(x.notice.e) })));
      card.appendChild(el("p", { "class": "advice" }, x.notice.t));
      list.appendChild(card);
    });
    show("trace-warning", exposures.length > 0);
    show("trace-clear", anyVisit && exposures.length === 0);
  }

  function showCount(visits) {
    var seen = {};
    visits.forEach(function (v) { seen[v.visit] = true; });
    document.getElementById("trace-count").textContent =
      say("stored", { n: Object.keys(seen).length });
  }

  function count(db) {
    return allVisits(db).then(function (visits) {
      showCount(visits);
      root.dataset.state = "ready";
    });
  }

  function refresh(S, db) {
    return allVisits(db).then(function (visits) {
      showCount(visits);
      show("trace-checking", true);
      // credentials omitted: the download is the same for everyone and names nobody
      return fetch(PUBLISHED, { credentials: "omit", cache: "no-store" })
        .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
        .then(function (body) {
          showWarnings(match(S, visits, body.entries || []), visits.length > 0);
        })
        .catch(function () { show("trace-offline", true); })
        .then(function () { show("trace-checking", false); root.dataset.state = "ready"; });
    });
  }

  function start(S) {
    var venue = null;  // the venue of the code just scanned, until the visitor checks in
    openDb().then(function (db) {
      // The language switch keeps a pending code: a fragment on the link is not sent, and
      // browsers carry it across the server's redirect back to this page.
      var langLink = document.querySelector("#lang-en, #lang-zh");
      var langHref = langLink ? langLink.getAttribute("href") : "";
      function keepCode(code) {
        if (langLink) langLink.setAttribute("href", langHref + (code || ""));
      }
      function offer() {
        venue = readFragment(S);
        keepCode(venue ? location.hash : "");
        show("trace-bad-code", Boolean(location.hash) && !venue);
        show("trace-venue", Boolean(venue));
        if (!venue) return;
        show("trace-done", false);
        document.getElementById("venue-name").textContent = venue.name;
        document.getElementById("venue-kind").textContent =
          L["kind_" + venue.kind] || L.kind_other;
      }
      document.getElementById("checkin-form").addEventListener("submit", function (ev) {
        ev.preventDefault();
        if (!venue) return;
        var minutes = parseInt(document.getElementById("stay").value, 10) || 60;
        var here = venue;
        venue = null;
        checkIn(S, db, here, minutes).then(function (done) {
          // the venue leaves the address bar and the history entry
          history.replaceState(null, "", location.pathname);
          keepCode("");
          show("trace-venue", false);
          var ok = document.getElementById("trace-done");
          ok.textContent = say("checked_in", { venue: done.name, until: when(done.departure) });
          show("trace-done", true);
          return count(db);
        });
      });
      // a code scanned while this page is open only changes the fragment: no reload
      window.addEventListener("hashchange", offer);
      document.getElementById("trace-recheck").addEventListener("click", function () {
        refresh(S, db);
      });
      // Checking in makes no request at all (the page itself comes from the browser's cache
      // after the first visit); the public list is fetched when the page is opened without a
      // venue code, or on demand.
      return purge(db).then(function () {
        offer();
        return venue ? count(db) : refresh(S, db);
      });
    }).catch(function () {
      show("trace-no-storage", true);
    });
  }

  window.sodium.ready.then(function () { start(window.sodium); });
})();
