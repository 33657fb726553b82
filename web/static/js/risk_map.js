/* The colour maps (五色图 / 四色图): layers per unit, level filters, "why this colour", run now.
 *
 * Each unit (grid cells, assets, tunnels, divisions, risk points) is drawn from the items API
 * for the view (GeoJSON, every property, the explanation with it) while the view holds few
 * enough features, and from the vector tiles of /tiles/{layer}/{z}/{x}/{y}.pbf when it does
 * not (or below TILES_BELOW, when the tiles exist). A click shows the explanation in the side
 * panel; every text from the server is set with textContent. The print view uses the same
 * script with cfg.print (no clicks, the division's features only). */
(function () {
  "use strict";
  var cfg = JSON.parse(document.getElementById("risk-config").textContent);
  var map = window.resilienceRiskMap;
  if (!map) { return; }
  var T = cfg.text;
  var PAGE = 5000;
  var TILES_BELOW = 13;
  var ORDER = ["division", "cell", "tunnel", "asset", "point"];
  var levelOf = {};
  cfg.levels.forEach(function (lv) { levelOf[lv.code] = lv; });
  var pointLevelOf = {};
  cfg.point_levels.forEach(function (lv) { pointLevelOf[lv.code] = lv; });
  var unitsOn = {};
  var levelsOn = {};
  cfg.units.forEach(function (u) { unitsOn[u.unit] = u.on; });
  cfg.levels.forEach(function (lv) { levelsOn[lv.code] = true; });
  var body = document.body;

  function fill(template, values) {
    return String(template).replace(/\{(\w+)\}/g, function (m, k) {
      return values[k] === undefined || values[k] === null ? m : String(values[k]);
    });
  }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    return e;
  }
  function num(v, digits) {
    if (v === null || v === undefined || v === "") { return "—"; }
    if (typeof v !== "number") { return String(v); }
    return new Intl.NumberFormat(cfg.locale, { maximumFractionDigits: digits === undefined ? 4 : digits }).format(v);
  }

  /* --- layers ------------------------------------------------------------------------ */

  var renderer = L.canvas({ padding: 0.3 });
  var layers = {};
  ORDER.forEach(function (unit) {
    if (unitsOn[unit] === undefined) { return; }
    layers[unit] = { unit: unit, group: L.layerGroup().addTo(map), token: 0, fc: null, mode: null,
      collection: unit === "point" ? "risk-points" : cfg.collection };
  });

  function levelFor(unit, code) { return (unit === "point" ? pointLevelOf : levelOf)[code]; }

  /* A five-colour cell with nothing registered (无登记设施) shows its hazard level: drawn pale
     with a dashed edge, never like a scored cell and never left blank. */
  function unregistered(unit, props) {
    return cfg.map === "five" && unit === "cell" && (props.exposure === null || props.exposure === undefined);
  }

  function styleFor(unit, props, zoom) {
    var lv = levelFor(unit, props.level);
    var colour = (lv && lv.colour) || props.colour || "#999999";
    if (unit === "division") {
      if (props._holder) { return { color: colour, weight: 3, opacity: 0.9, fill: false }; }
      return { color: "#333333", weight: 2, fillColor: colour, fillOpacity: 0.35 };
    }
    if (unit === "cell" && unregistered(unit, props)) {
      /* Pale; the dashed edge only where a cell is large enough on screen to show it (at city
         scale edges of 500 m cells would paint the whole area solid). */
      var z = zoom === undefined ? (map.getZoom ? map.getZoom() : 14) : zoom;
      if (z < 13) { return { stroke: false, fillColor: colour, fillOpacity: 0.22 }; }
      return { color: colour, weight: 1, opacity: 0.9, dashArray: "2 3", fillColor: colour, fillOpacity: 0.18 };
    }
    if (unit === "cell") { return { color: "#ffffff", weight: 0.4, opacity: 0.7, fillColor: colour, fillOpacity: 0.55 }; }
    if (unit === "tunnel") { return { color: colour, weight: 6, opacity: 0.95, fillColor: colour, fillOpacity: 0.6 }; }
    /* Small markers at city scale, so points do not hide the cells beneath them. */
    var z = map.getZoom(), scale = z < 13 ? 0.5 : z < 15 ? 0.75 : 1;
    if (unit === "point") { return { color: "#222222", weight: 1, fillColor: colour, fillOpacity: 0.9, radius: 5 * scale }; }
    return { color: colour, weight: z < 13 ? 2 : 3, opacity: 0.95, fillColor: colour, fillOpacity: 0.7, radius: 4 * scale };
  }

  function visible(unit, props) { return unitsOn[unit] && levelsOn[props.level] !== false; }

  /* The code prefix a division shares with everything below it (resilience.divisions). */
  function divisionPrefix(code) {
    code = String(code || "");
    if (code.length === 6 && /0000$/.test(code)) { return code.slice(0, 2); }
    if (code.length === 6 && /00$/.test(code)) { return code.slice(0, 4); }
    return code;
  }

  /* Divisions drawn with others inside them (the province, the city) are outlined, not filled:
     stacked translucent fills mixed their colours (a 较低 county over a 中 city over a 低
     province read green). The finest divisions in view carry the colour. */
  function markHolders(fc) {
    var refs = (fc.features || []).map(function (f) { return String((f.properties || {}).ref || ""); });
    (fc.features || []).forEach(function (f) {
      var p = f.properties || {}, ref = String(p.ref || ""), prefix = divisionPrefix(ref);
      p._holder = refs.some(function (r) { return r !== ref && r.indexOf(prefix) === 0; });
    });
  }

  function drawGeoJson(layer) {
    var unit = layer.unit;
    if (unit === "division" && layer.fc) { markHolders(layer.fc); }
    var geo = L.geoJSON(layer.fc, {
      renderer: renderer,
      interactive: !cfg.print,
      filter: function (f) { return visible(unit, f.properties || {}); },
      style: function (f) { var s = styleFor(unit, f.properties || {}); s.bubblingMouseEvents = false; return s; },
      pointToLayer: function (f, latlng) {
        var s = styleFor(unit, f.properties || {}); s.renderer = renderer; s.bubblingMouseEvents = false;
        return L.circleMarker(latlng, s);
      },
      onEachFeature: function (f, l) {
        if (cfg.print) { return; }
        l.on("click", function (e) { explain(layer.collection, unit, f, e.latlng); });
        var p = f.properties || {};
        var tip = p.name || p.ref;
        if (tip) { var span = el("span", null, tip); l.bindTooltip(span, { sticky: true }); }
      }
    });
    layer.group.clearLayers();
    layer.group.addLayer(geo);
    layer.mode = "geojson";
    body.setAttribute("data-mode-" + unit, "geojson");
    restack();
  }

  /* Draw order on the shared canvas: divisions under cells under lines under points. */
  function restack() {
    ORDER.forEach(function (unit) {
      var layer = layers[unit];
      if (!layer || layer.mode !== "geojson") { return; }
      layer.group.eachLayer(function (g) { if (g.bringToFront) { g.bringToFront(); } });
    });
  }

  /* One vector-tile layer per map; each unit tiled or not is decided in its style. */
  var tiled = {};
  var tiles = null;
  var Tiles = L.VectorGrid && L.VectorGrid.Protobuf.extend({
    _createLayer: function (feat, pxPerExtent) {
      var drawn = L.VectorGrid.prototype._createLayer.call(this, feat, pxPerExtent);
      drawn.featureId = feat.id;
      return drawn;
    }
  });
  function tileLayer() {
    if (tiles) { return tiles; }
    var styles = {};
    styles[cfg.collection] = function (props, zoom) {
      if (!tiled[props.unit] || !visible(props.unit, props)) { return []; }
      var s = styleFor(props.unit, props, zoom); s.fill = props.unit !== "asset"; return s;
    };
    tiles = new Tiles("/tiles/" + cfg.collection + "/{z}/{x}/{y}.pbf", {
      rendererFactory: L.canvas.tile, vectorTileLayerStyles: styles, interactive: false,
      getFeatureId: function (f) { return f.id; }, maxNativeZoom: 22, zIndex: 2,
      fetchOptions: { credentials: "same-origin" }
    });
    tiles.on("load", function () { body.setAttribute("data-tiles-loaded", "1"); });
    tiles.addTo(map);
    return tiles;
  }
  function useTiles(layer) {
    layer.group.clearLayers();
    layer.fc = null;
    layer.mode = "tiles";
    body.setAttribute("data-mode-" + layer.unit, "tiles");
    if (!tiled[layer.unit]) { tiled[layer.unit] = true; tileLayer().redraw(); } else { tileLayer(); }
  }
  function stopTiles(layer) {
    if (tiled[layer.unit]) { tiled[layer.unit] = false; if (tiles) { tiles.redraw(); } }
  }

  var note = null;
  function showNote(text) {
    var wrap = map.getContainer();
    if (!note) { note = el("div", "risk-note"); wrap.appendChild(note); }
    note.textContent = text; note.hidden = !text;
  }

  function load(layer) {
    var unit = layer.unit;
    var token = (layer.token = layer.token + 1);
    if (!unitsOn[unit]) {
      layer.group.clearLayers(); layer.mode = null; stopTiles(layer);
      body.setAttribute("data-mode-" + unit, "off");
      return Promise.resolve();
    }
    if (cfg.tiles && unit !== "point" && unit !== "division" && map.getZoom() < TILES_BELOW && !cfg.print) {
      useTiles(layer); return Promise.resolve();
    }
    var b = map.getBounds();
    var bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (v) { return v.toFixed(6); }).join(",");
    var url = "/api/collections/" + layer.collection + "/items?limit=" + PAGE + "&bbox=" + bbox +
      (unit === "point" ? "" : "&unit=" + unit) + (cfg.division ? "&division=" + encodeURIComponent(cfg.division) : "");
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/geo+json" } })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (fc) {
        if (token !== layer.token) { return; }
        var more = (fc.links || []).some(function (l) { return l.rel === "next"; });
        if (more && cfg.tiles && unit !== "point") { useTiles(layer); return; }
        stopTiles(layer);
        layer.fc = fc;
        layer.more = more;
        drawGeoJson(layer);
        body.setAttribute("data-loaded-" + unit, String(fc.features.length));
      })
      .catch(function (e) { body.setAttribute("data-error-" + unit, String(e)); });
  }

  function refresh() {
    var all = Object.keys(layers).map(function (k) { return load(layers[k]); });
    return Promise.all(all).then(function () {
      var more = Object.keys(layers).some(function (k) { return layers[k].more && layers[k].mode === "geojson"; });
      showNote(more ? T.too_many : "");
      body.setAttribute("data-risk-ready", "1");
    });
  }

  function redrawFilters() {
    Object.keys(layers).forEach(function (k) {
      var layer = layers[k];
      if (layer.mode === "geojson" && layer.fc) { drawGeoJson(layer); }
    });
    if (tiles) { tiles.redraw(); }
  }

  /* --- why this colour --------------------------------------------------------------- */

  var panel = document.getElementById("risk-explain");

  function badge(lv) {
    var b = el("span", "level-badge", lv ? lv.label : "—");
    if (lv) {
      b.style.background = lv.colour;
      b.style.color = /^#(FFD700|FFFF00|5CC8F5)/i.test(lv.colour) ? "#222" : "#fff";
    }
    return b;
  }

  function table(headings, rows, cls) {
    var t = el("table", cls);
    var tr = el("tr");
    headings.forEach(function (h) { tr.appendChild(el("th", null, h)); });
    var thead = el("thead"); thead.appendChild(tr); t.appendChild(thead);
    var tb = el("tbody");
    rows.forEach(function (r) {
      var row = el("tr", r.cls);
      r.cells.forEach(function (c, i) {
        var td = el("td", i && typeof c !== "object" ? "num" : null);
        if (c && typeof c === "object" && c.nodeType) { td.appendChild(c); } else { td.textContent = c; }
        row.appendChild(td);
      });
      tb.appendChild(row);
    });
    t.appendChild(tb);
    return t;
  }

  function hrefOf(ref) {
    var m = /^([a-z][a-z-]*)\/(\d+)$/.exec(String(ref || ""));
    if (!m || !cfg.titles[m[1]] || m[1] === "divisions" || !cfg.asset_href) { return null; }
    return fill(cfg.asset_href, { collection: m[1], id: m[2] });
  }
  function refNode(ref, name) {
    var href = hrefOf(ref);
    var m = /^([a-z][a-z-]*)\/(\d+)$/.exec(String(ref || ""));
    var text = (name ? name + " · " : "") + (m && cfg.titles[m[1]] ? cfg.titles[m[1]] + " " + m[2] : String(ref));
    if (!href) { return el("span", null, text); }
    var a = el("a", null, text); a.href = href; return a;
  }

  function hazardName(k) { return cfg.hazards[k] || k; }

  /* A five-colour cell: each hazard's H and R, E, V, C with weights and terms, R's band. */
  function renderComposite(exp, box) {
    if (exp.formula) { var f = el("p", "sentence"); f.appendChild(el("span", "formula", exp.formula)); box.appendChild(f); }
    if (exp.unregistered) {
      var ref = exp.reference || {};
      box.appendChild(el("p", "sentence unregistered", fill(T.unregistered, { e: num(ref.E), v: num(ref.V) })));
    }
    if (exp.floor && exp.floor.registered) {
      var fr = exp.floor.registered, flv = levelOf[fr.level];
      box.appendChild(el("p", "sentence unregistered", fill(T.floor, { r: num(fr.score, 5),
        level: flv ? flv.label : fr.level, e: num(fr.exposure), v: num(fr.vulnerability), c: num(fr.capacity) })));
    }
    var per = exp.risk_by_hazard || {};
    var hz = exp.hazards || {};
    var kinds = Object.keys(Object.assign({}, hz, per));
    if (kinds.length) {
      box.appendChild(el("h3", null, T.hazards));
      var sources = exp.sources || {};
      box.appendChild(table([T.hazard, "H", "R", T.source], kinds.map(function (k) {
        return { cls: k === exp.decided_by ? "decider" : null,
          cells: [hazardName(k), num(hz[k]), num(per[k], 5), sources[k] ? refNode(sources[k]) : el("span", null, "—")] };
      })));
    }
    var w = exp.weights || {}, terms = exp.terms || {};
    var hd = exp.decided_by ? hz[exp.decided_by] : null;
    box.appendChild(el("h3", null, T.factors));
    box.appendChild(table([T.factor, T.value, T.weight, T.term], [
      { cells: [T.h + (exp.decided_by ? " (" + hazardName(exp.decided_by) + ")" : ""), num(hd), num(w.H), num(terms.H)] },
      { cells: [T.exposure, num(exp.exposure), num(w.E), num(terms.E)] },
      { cells: [T.vulnerability, num(exp.vulnerability), num(w.V), num(terms.V)] },
      { cells: [T.capacity + " (1 − C)", num(exp.capacity), num(w.C), num(terms.C)] }
    ]));
    var parts = exp.exposure_parts;
    if (parts && typeof parts === "object" && Object.keys(parts).length) {
      var kind = parts.critical_kind ? " (" + (cfg.critical[parts.critical_kind] || parts.critical_kind) + ")" : "";
      box.appendChild(el("p", "sentence", fill(T.parts, { a: num(parts.assets), k: num(parts.critical), kind: kind, p: num(parts.people) })));
      if (parts.most_vulnerable) {
        var mv = el("p", "sentence"); mv.appendChild(document.createTextNode(T.most_vulnerable + ": "));
        mv.appendChild(refNode(parts.most_vulnerable)); box.appendChild(mv);
      }
    }
    var byHazard = exp.capacity_by_hazard || {};
    if (Object.keys(byHazard).length > 1) {
      box.appendChild(el("p", "sentence", T.capacity_by + ": " + Object.keys(byHazard).map(function (k) {
        return hazardName(k) + " " + num(byHazard[k]); }).join(", ")));
    }
    if (exp.combine) {
      box.appendChild(el("p", "sentence", fill(T.combine, { how: T["combine_" + exp.combine] || exp.combine })));
    }
    var band = exp.band || [];
    box.appendChild(el("p", "sentence", fill(T.band_of, { score: num(exp.score, 5),
      low: band[0] === null || band[0] === undefined ? "−∞" : num(band[0]),
      high: band[1] === null || band[1] === undefined ? "+∞" : num(band[1]) })));
    if (exp.decided_by) { box.appendChild(el("p", "sentence", fill(T.largest, { name: hazardName(exp.decided_by) }))); }
  }

  /* L, E, C, S with their Chinese (or English) names, per method (DOMAIN.md §3). */
  function factorName(method, k) { return ((cfg.factor_names || {})[method] || {})[k] || k; }

  /* The band of a point's score in its preset, said as its real interval (D > 320), with
     the LEC class beside it: never a bare "一般" next to a 一般风险 level. */
  function bandOf(preset, score) {
    var table = (cfg.presets || {})[preset];
    if (!table || score === null || score === undefined) { return null; }
    return table.bands.filter(function (b) {
      var above = b.low === null || (b.low_closed ? score >= b.low : score > b.low);
      return above && (b.high === null || score <= b.high);
    })[0] || null;
  }
  function bandText(preset, score, name) {
    var b = bandOf(preset, score);
    if (!b) { return name || ""; }
    return (b.name ? b.name + "（" + b.interval + "）" : b.interval);
  }

  /* A risk point's assessment: method, factors, score, band (DOMAIN.md §3). */
  function renderAssessment(exp, box) {
    var p = el("p", "sentence");
    p.appendChild(document.createTextNode(T.method + ": " + (cfg.methods[exp.method] || exp.method || "") + " "));
    if (exp.formula) { p.appendChild(el("span", "formula", exp.formula)); }
    box.appendChild(p);
    var factors = exp.factors || {};
    box.appendChild(table([T.factor, T.value], Object.keys(factors).map(function (k) {
      return { cells: [factorName(exp.method, k), num(factors[k])] };
    })));
    var text = bandText(exp.preset, exp.score, exp.band_name);
    box.appendChild(el("p", "sentence band", T.score + " " + num(exp.score) + (text ? " · " + T.band + " " + text : "") +
      (exp.preset ? " · " + T.preset + " " + exp.preset : "")));
  }

  function levelsLine(byLevel, fmtValue) {
    /* {level: value} as badges, highest first (a division's area, a zone's point counts). */
    var span = el("span", "risk-counts");
    cfg.levels.forEach(function (lv) {
      if (!byLevel || byLevel[lv.code] === undefined || byLevel[lv.code] === 0) { return; }
      var b = badge(lv); b.textContent = lv.label + " " + (fmtValue ? fmtValue(byLevel[lv.code]) : byLevel[lv.code]);
      span.appendChild(b); span.appendChild(document.createTextNode(" "));
    });
    return span;
  }

  /* An asset or division of the five-colour map: the highest of its cells (就高), and that
     cell's own reasons, fetched and said in full. */
  function placeOf(place) { return place || T.outside; }

  function renderHighestCell(exp, box, unit) {
    var p = el("p", "sentence");
    p.appendChild(document.createTextNode(fill(T.highest_cell_place,
      { cells: exp.cells === undefined ? "?" : exp.cells, place: placeOf(exp.place) })));
    box.appendChild(p);
    if (exp.factors) {
      box.appendChild(table([T.factor, T.value], [
        { cells: [T.h + (exp.hazard ? " (" + hazardName(exp.hazard) + ")" : ""), num(exp.factors.H)] },
        { cells: [T.exposure, num(exp.factors.E)] }, { cells: [T.vulnerability, num(exp.factors.V)] },
        { cells: [T.capacity, num(exp.factors.C)] }, { cells: [T.r, num(exp.score, 5)] }]));
    }
    if (exp.source) {
      var s = el("p", "sentence"); s.appendChild(document.createTextNode(T.source + ": ")); s.appendChild(refNode(exp.source)); box.appendChild(s);
    }
    if (exp.area_km2) { var a = el("p", "sentence"); a.appendChild(document.createTextNode(T.area_by_level + ": ")); a.appendChild(levelsLine(exp.area_km2, function (v) { return num(v, 3) + " km²"; })); box.appendChild(a); }
    if (exp.assets && typeof exp.assets === "object") { var n = el("p", "sentence"); n.appendChild(document.createTextNode(T.assets_by_level + ": ")); n.appendChild(levelsLine(exp.assets)); box.appendChild(n); }
    if (exp.length_km) { var l = el("p", "sentence"); l.appendChild(document.createTextNode(T.length_by_level + ": ")); l.appendChild(levelsLine(exp.length_km, function (v) { return num(v, 3) + " km"; })); box.appendChild(l); }
    var sub = el("div", "inherit");
    sub.appendChild(el("p", "hint", T.loading));
    box.appendChild(sub);
    fetch("/api/collections/" + cfg.collection + "/items?unit=cell&ref=" + encodeURIComponent(exp.cell) + "&limit=1",
          { credentials: "same-origin", headers: { Accept: "application/geo+json" } })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (fc) {
        sub.textContent = "";
        var f = fc.features && fc.features[0];
        if (!f) { return; }
        var h = el("h3", null, fill(T.cell_in, { place: placeOf(f.properties.name) }) + " "); h.appendChild(badge(levelFor("cell", f.properties.level)));
        sub.appendChild(h);
        var inner = f.properties.explanation;
        if (typeof inner === "string") { try { inner = JSON.parse(inner); } catch (e) { inner = null; } }
        if (inner) { renderComposite(inner, sub); }
        body.setAttribute("data-explained-cell", exp.cell);
      })
      .catch(function () { sub.textContent = ""; });
  }

  /* A five-colour division: its area per level and the level its rule publishes (DOMAIN.md
     §10), not its worst cell. */
  function renderShares(exp, box) {
    var basis = { land: T.basis_land }[exp.basis] || T.basis_mapped;
    box.appendChild(el("p", "sentence", fill(T.share_rule, { share: num((exp.share || 0) * 100, 0),
      covered: num((exp.covered || 0) * 100, 0),
      basis: fill(basis, { area: num(exp.basis_km2 != null ? exp.basis_km2 : exp.mapped_km2 || 0, 1) }) })));
    var s = el("p", "sentence"); s.appendChild(document.createTextNode(T.share_by_level + ": "));
    s.appendChild(levelsLine(exp.share_by_level, function (v) { return num(v * 100, 1) + "%"; })); box.appendChild(s);
    if (exp.unmapped) { box.appendChild(el("p", "sentence hint", T.unmapped + ": " + num(exp.unmapped * 100, 1) + "%")); }
    var a = el("p", "sentence"); a.appendChild(document.createTextNode(T.area_by_level + ": "));
    a.appendChild(levelsLine(exp.area_km2, function (v) { return num(v, 3) + " km²"; })); box.appendChild(a);
    if (exp.unregistered_km2 && Object.keys(exp.unregistered_km2).length) {
      var u = el("p", "sentence hint"); u.appendChild(document.createTextNode(T.unregistered_area + ": "));
      u.appendChild(levelsLine(exp.unregistered_km2, function (v) { return num(v, 3) + " km²"; })); box.appendChild(u);
    }
    var top = exp.highest || {};
    if (top.level) {
      var lv = levelFor("cell", top.level);
      box.appendChild(el("p", "sentence", fill(T.highest_here, { level: lv ? lv.label : top.level, place: placeOf(top.place) })));
    }
    if (exp.assets && typeof exp.assets === "object") { var n = el("p", "sentence"); n.appendChild(document.createTextNode(T.assets_by_level + ": ")); n.appendChild(levelsLine(exp.assets)); box.appendChild(n); }
    if (exp.length_km) { var l = el("p", "sentence"); l.appendChild(document.createTextNode(T.length_by_level + ": ")); l.appendChild(levelsLine(exp.length_km, function (v) { return num(v, 3) + " km"; })); box.appendChild(l); }
  }

  /* A four-colour zone: the highest of its risk points (就高), the point's method and factors. */
  function renderHighestPoint(exp, box) {
    var pt = exp.point || {};
    var p = el("p", "sentence");
    p.appendChild(document.createTextNode(fill(T.highest_point, { points: exp.points === undefined ? "?" : exp.points }) + " "));
    p.appendChild(refNode("risk-points/" + pt.id, pt.name));
    box.appendChild(p);
    if (exp.counts) { var c = el("p", "sentence"); c.appendChild(document.createTextNode(T.points_by_level + ": ")); c.appendChild(levelsLine(exp.counts)); box.appendChild(c); }
    var rows = [];
    if (pt.category) { rows.push({ cells: [T.category, cfg.categories[pt.category] || pt.category] }); }
    rows.push({ cells: [T.method, cfg.methods[pt.method] || pt.method || ""] });
    if (pt.preset) { rows.push({ cells: [T.preset, pt.preset + (pt.scheme_version ? " v" + pt.scheme_version : "")] }); }
    Object.keys(pt.factors || {}).forEach(function (k) { rows.push({ cells: [factorName(pt.method, k), num(pt.factors[k])] }); });
    rows.push({ cells: [(exp.formula || T.score), num(pt.score)] });
    var bt = bandText(pt.preset, pt.score, pt.band_name);
    if (bt) { rows.push({ cells: [T.band, bt] }); }
    if (pt.rule) { rows.push({ cells: [T.rule, pt.rule] }); }
    box.appendChild(table([T.factor, T.value], rows));
  }

  var SAID = ["formula", "hazards", "risk_by_hazard", "exposure", "vulnerability", "capacity", "weights",
    "terms", "score", "band", "level", "decided_by", "combine", "scheme", "version", "method", "factors",
    "band_name", "label", "colour", "rule", "cell", "cells", "hazard", "source", "area_km2", "assets",
    "length_km", "point", "points", "counts", "sources", "length_m", "population", "place",
    "unregistered", "reference", "exposure_parts", "capacity_by_hazard", "share", "covered",
    "share_by_level", "unregistered_km2", "highest", "floor", "basis", "basis_km2", "mapped_km2",
    "unmapped"];

  /* Where a cell's population density (in E) comes from: the city profile, or not. */
  function populationLine(pop) {
    var values = { density: num(pop.per_km2, 0), division: pop.division, year: pop.year };
    if (pop.from === "profile") {
      return fill(pop.people === "built_up_population" ? T.pop_built_up : T.pop_resident, values) +
        (pop.example ? " (" + T.pop_example + ")" : "");
    }
    return fill(T.pop_division, values);
  }

  function renderAny(exp, box, unit) {
    if (!exp || typeof exp !== "object") { return; }
    if (exp.scheme) {
      box.appendChild(el("p", "hint", fill(T.scheme, { name: exp.scheme, version: exp.version === undefined ? "?" : exp.version })));
    }
    if (exp.hazards || exp.risk_by_hazard) {
      renderComposite(exp, box);
      if (exp.assets !== undefined || exp.length_m !== undefined) {
        box.appendChild(el("p", "sentence", fill(T.cell_assets, { n: exp.assets || 0, length: num(exp.length_m || 0, 0) })));
      }
      if (exp.population && exp.population.from) {
        box.appendChild(el("p", "sentence population", populationLine(exp.population)));
      }
    } else if (exp.point) { renderHighestPoint(exp, box); }
    else if (exp.rule === "area_share") { renderShares(exp, box); }
    else if (exp.cell) { renderHighestCell(exp, box, unit); }
    else if (exp.factors && exp.method) { renderAssessment(exp, box); }
    var rows = [];
    Object.keys(exp).filter(function (k) { return SAID.indexOf(k) < 0; }).forEach(function (k) {
      var v = exp[k];
      if (v && typeof v === "object") { v = JSON.stringify(v); }
      rows.push({ cells: [k, hrefOf(v) ? refNode(v) : (typeof v === "number" ? num(v) : String(v))] });
    });
    if (rows.length) { box.appendChild(el("h3", null, T.details)); box.appendChild(table([T.factor, T.value], rows, "rest")); }
  }

  function renderFeature(collection, unit, f) {
    var p = f.properties || {};
    panel.textContent = "";
    panel.appendChild(el("h2", null, T.why));
    var head = el("p", "sentence");
    head.appendChild(el("strong", null, p.name || p.ref || p.external_id || f.id));
    panel.appendChild(head);
    var lv = levelFor(unit, p.level);
    var line = el("p", "sentence");
    line.appendChild(badge(lv));
    var unitLabel = (cfg.units.filter(function (u) { return u.unit === unit; })[0] || {}).label || unit;
    var scored = p.score !== undefined && p.score !== null && !(cfg.map === "five" && unit === "division");
    line.appendChild(document.createTextNode(" " + unitLabel + (scored ? " · " + T.score + " " + num(p.score, 5) : "")));
    panel.appendChild(line);
    if (unit === "asset" || unit === "tunnel" || unit === "point") {
      var ref = unit === "point" ? "risk-points/" + f.id : p.ref;
      if (hrefOf(ref)) { var lk = el("p", "sentence"); lk.appendChild(document.createTextNode(T.open + ": ")); lk.appendChild(refNode(ref)); panel.appendChild(lk); }
    }
    /* A five-colour asset or division names its cell's place in the explanation, not a grid id. */
    if (p.decided_by && unit !== "point" && !(cfg.map === "five" && (unit === "asset" || unit === "division"))) {
      var d = el("p", "sentence");
      d.appendChild(document.createTextNode(T.decided_by + ": "));
      d.appendChild(hrefOf(p.decided_by) ? refNode(p.decided_by) : el("span", null, cfg.hazards[p.decided_by] || p.decided_by));
      panel.appendChild(d);
    }
    if (unit === "point") {
      renderAssessment({ method: p.method, formula: p.method === "lec" ? "D = L × E × C" : "R = L × S",
        factors: pointFactors(p), score: p.score, preset: p.preset, band_name: p.band_name }, panel);
      return;
    }
    var exp = p.explanation;
    if (typeof exp === "string") { try { exp = JSON.parse(exp); } catch (e) { exp = { text: exp }; } }
    if (!exp || (typeof exp === "object" && !Object.keys(exp).length)) { panel.appendChild(el("p", "hint", T.no_explanation)); return; }
    renderAny(exp, panel, unit);
  }

  function pointFactors(p) {
    var out = {};
    [["L", "factor_l"], ["E", "factor_e"], ["C", "factor_c"], ["S", "factor_s"]].forEach(function (x) {
      if (p[x[1]] !== null && p[x[1]] !== undefined) { out[x[0]] = p[x[1]]; }
    });
    return out;
  }

  var marker = null;
  function explain(collection, unit, f, latlng) {
    renderFeature(collection, unit, f);
    body.setAttribute("data-explained", String(f.id));
    if (latlng) {
      if (marker) { map.removeLayer(marker); }
      marker = L.circleMarker(latlng, { radius: 7, color: "#000", weight: 2, fill: false, interactive: false }).addTo(map);
    }
  }

  function fetchAndExplain(collection, unit, id, latlng) {
    panel.textContent = ""; panel.appendChild(el("p", "hint", T.loading));
    fetch("/api/collections/" + collection + "/items/" + encodeURIComponent(id),
          { credentials: "same-origin", headers: { Accept: "application/geo+json" } })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (f) { explain(collection, unit, f, latlng); })
      .catch(function (e) { panel.textContent = ""; panel.appendChild(el("p", "error", fill(T.failed, { status: e.message }))); });
  }

  /* A click the GeoJSON did not take: hit-test the tiles, top unit first. */
  function tileFeatureAt(latlng) {
    if (!tiles || !tiles._vectorTiles) { return null; }
    var size = tiles.getTileSize();
    var p = map.project(latlng, map.getZoom());
    var coords = p.unscaleBy(size).floor();
    coords.z = map.getZoom();
    var r = tiles._vectorTiles[tiles._tileCoordsToKey(coords)];
    if (!r || !r._features) { return null; }
    var local = p.subtract(coords.scaleBy(size));
    var best = null, rank = -1;
    Object.keys(r._features).forEach(function (id) {
      var drawn = r._features[id].feature;
      var props = drawn.properties || {};
      if (!tiled[props.unit] || !visible(props.unit, props)) { return; }
      if (drawn.makeInteractive) { drawn.makeInteractive(); }
      var k = ORDER.indexOf(props.unit);
      if (k > rank && drawn._containsPoint(local)) { best = { id: drawn.featureId, unit: props.unit }; rank = k; }
    });
    return best;
  }

  if (!cfg.print) {
    map.on("click", function (e) {
      var hit = tileFeatureAt(e.latlng);
      if (hit && hit.id !== undefined && hit.id !== null) { fetchAndExplain(cfg.collection, hit.unit, hit.id, e.latlng); }
    });
    map.on("moveend", refresh);
  }

  /* --- controls ------------------------------------------------------------------------ */

  Array.prototype.forEach.call(document.querySelectorAll("input[name=unit]"), function (box) {
    box.addEventListener("change", function () {
      unitsOn[box.value] = box.checked;
      if (layers[box.value]) { load(layers[box.value]); }
    });
  });
  Array.prototype.forEach.call(document.querySelectorAll("input[name=level]"), function (box) {
    box.addEventListener("change", function () { levelsOn[box.value] = box.checked; redrawFilters(); });
  });

  var button = document.getElementById("risk-run-button");
  var status = document.getElementById("risk-run-status");
  var progress = document.getElementById("risk-run-progress");
  function say(text, error) { status.textContent = text; status.className = error ? "hint error" : "hint"; }
  function follow(url) {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (run) {
        var pct = Math.round((run.progress || 0) * 100);
        progress.hidden = false; progress.value = run.progress || 0;
        body.setAttribute("data-run-status", run.status);
        if (run.status === "succeeded" || run.status === "done") {
          var changed = run.summary && run.summary.changed ? (run.summary.changed.five || 0) + (run.summary.changed.four || 0) : 0;
          progress.value = 1;
          say(fill(T.run_done, { id: run.id, changed: changed }));
          setTimeout(function () { window.location.reload(); }, 1500);
          return;
        }
        if (run.status === "failed") { button.disabled = false; say(fill(T.run_failed, { id: run.id, error: run.error || "" }), true); return; }
        say(fill(run.status === "queued" ? T.run_queued : T.run_running, { id: run.id, pct: pct }));
        setTimeout(function () { follow(url); }, 1000);
      })
      .catch(function (e) { button.disabled = false; say(fill(T.http, { status: e.message }), true); });
  }
  if (button) {
    button.addEventListener("click", function () {
      button.disabled = true;
      var incremental = document.getElementById("risk-run-incremental");
      var token = document.querySelector("meta[name=csrf-token]");
      fetch("/api/risk/runs", {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json",
          "X-CSRFToken": token ? token.getAttribute("content") : "" },
        body: JSON.stringify({ mode: incremental && incremental.checked ? "incremental" : "full" })
      }).then(function (r) {
        if (r.status === 409) { button.disabled = false; say(T.run_conflict, true); return null; }
        if (r.status !== 202) { button.disabled = false; say(fill(T.http, { status: r.status }), true); return null; }
        return r.json().then(function (run) { say(fill(T.run_queued, { id: run.id })); follow("/api/risk/runs/" + run.id); });
      }).catch(function () { button.disabled = false; say(T.network, true); });
    });
  }

  /* Context with no basemap: the county boundaries, under everything, never clicked. */
  if (!cfg.print) {
    fetch("/api/collections/divisions/items?level=county&limit=100",
          { credentials: "same-origin", headers: { Accept: "application/geo+json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (fc) {
        if (!fc) { return; }
        var outline = L.geoJSON(fc, { renderer: renderer, interactive: false,
          style: { color: "#7a8594", weight: 1.2, fill: false, dashArray: "4 4" } }).addTo(map);
        outline.bringToBack();
      });
  }

  /* The print view: the division's outline over its results, then "ready to print". */
  if (cfg.print && cfg.division) {
    fetch("/api/collections/divisions/items/" + encodeURIComponent(cfg.division),
          { credentials: "same-origin", headers: { Accept: "application/geo+json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (f) {
        if (f) { L.geoJSON(f, { interactive: false, style: { color: "#111", weight: 2.5, fill: false, dashArray: "8 4" } }).addTo(map); }
      });
  }
  refresh();
})();
