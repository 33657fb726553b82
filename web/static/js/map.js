/* Fills the registry's layers from its own API for the visible area; popups use textContent. */
(function () {
  "use strict";
  var labels = JSON.parse(document.getElementById("resilience-labels").textContent);
  var layers = window.resilienceLayers || [];
  if (!layers.length) { return; }
  var map = layers[0].map;
  var MAX_FEATURES = 20000;
  var PAGE = 5000;
  var DRAW_ORDER = { telecom: 1, power: 2, other: 3, industrial: 4, heat: 5, drainage: 6,
    water_supply: 7, gas: 8 };

  function fmt(collection, key, value) {
    if (value === null || value === undefined || value === "") { return null; }
    var codeLabels = labels.codes[collection + "." + key];
    if (codeLabels && codeLabels[value] !== undefined) { return codeLabels[value]; }
    if (Array.isArray(value)) { return value.map(function (v) { return typeof v === "object" ? (v.name || v.id) : v; }).join(", "); }
    if (typeof value === "object") { return JSON.stringify(value); }
    return String(value);
  }

  function popup(collection, feature) {
    var box = document.createElement("div");
    box.className = "resilience-popup";
    var h = document.createElement("h4");
    var p = feature.properties || {};
    h.textContent = (labels.titles[collection] || collection) + " " + (p.name || p.external_id || feature.id);
    box.appendChild(h);
    var table = document.createElement("table");
    var names = labels.fields[collection] || {};
    Object.keys(names).forEach(function (key) {
      var text = fmt(collection, key, p[key]);
      if (text === null) { return; }
      var tr = document.createElement("tr");
      var th = document.createElement("th"); th.textContent = names[key];
      var td = document.createElement("td"); td.textContent = text;
      tr.appendChild(th); tr.appendChild(td); table.appendChild(tr);
    });
    box.appendChild(table);
    return box;
  }

  function style(layer, feature) {
    var o = layer.options;
    if (layer.collection === "pipelines") {
      return { color: labels.colours[feature.properties.category] || "#6600CC", weight: 2.5, opacity: 0.9 };
    }
    if (o.kind === "area") { return { color: o.colour, weight: 1.5, fill: false, dashArray: "4 4" }; }
    return { color: o.colour, weight: o.weight || 3, fillColor: o.colour, fillOpacity: 0.35 };
  }

  function makeGeoJson(layer) {
    return L.geoJSON(null, {
      interactive: layer.options.kind !== "area", /* boundaries give context, not popups */
      style: function (f) { return style(layer, f); },
      pointToLayer: function (f, latlng) {
        var o = layer.options;
        /* Small markers at city scale, so points do not hide the lines beneath them. */
        var r = (o.radius || 6) * (map.getZoom() < 13 ? 0.5 : map.getZoom() < 15 ? 0.75 : 1);
        return L.circleMarker(latlng, { radius: r, color: o.colour, weight: 1.5,
          fillColor: o.colour, fillOpacity: 0.7 });
      },
      onEachFeature: function (f, l) {
        l.bindPopup(function () { return popup(layer.collection, f); });
        var p = f.properties || {};
        var tip = p.name || p.external_id;
        if (tip) { l.bindTooltip(String(tip), { sticky: true }); } /* Leaflet sets tooltip strings as HTML: */
      }
    });
  }

  /* Leaflet tooltips take HTML strings; give them text nodes instead. */
  var origBind = L.Layer.prototype.bindTooltip;
  L.Layer.prototype.bindTooltip = function (content, options) {
    if (typeof content === "string") {
      var span = document.createElement("span"); span.textContent = content; content = span;
    }
    return origBind.call(this, content, options);
  };

  function load(layer) {
    var o = layer.options;
    if (!map.hasLayer(layer.group)) { return; }
    if (o.minZoom && map.getZoom() < o.minZoom) { layer.group.clearLayers(); return; }
    var b = map.getBounds();
    var bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (v) { return v.toFixed(6); }).join(",");
    var url = "/api/collections/" + layer.collection + "/items?limit=" + PAGE + "&bbox=" + bbox;
    var token = (layer.token = (layer.token || 0) + 1);
    var geo = makeGeoJson(layer);
    var count = 0;
    function page(u) {
      fetch(u, { credentials: "same-origin", headers: { Accept: "application/geo+json" } })
        .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
        .then(function (fc) {
          if (token !== layer.token) { return; }
          if (count === 0) { layer.group.clearLayers(); layer.group.addLayer(geo); }
          if (layer.collection === "pipelines") {
            /* Safety-critical lines are drawn last, on top: gas, then water and drainage. */
            fc.features.sort(function (a, b) {
              return (DRAW_ORDER[a.properties.category] || 0) - (DRAW_ORDER[b.properties.category] || 0);
            });
          }
          geo.addData(fc);
          count += fc.features.length;
          var next = (fc.links || []).filter(function (l) { return l.rel === "next"; })[0];
          if (next && count < MAX_FEATURES) { page(next.href); }
          document.body.setAttribute("data-loaded-" + layer.collection, String(count));
        })
        .catch(function (e) { document.body.setAttribute("data-error-" + layer.collection, String(e)); });
    }
    page(url);
  }

  function refresh() { layers.forEach(load); }
  map.on("moveend", refresh);
  map.on("overlayadd", refresh);

  var legend = L.control({ position: "bottomleft" });
  legend.onAdd = function () {
    var div = L.DomUtil.create("div", "resilience-legend");
    var cats = labels.codes["pipelines.category"] || {};
    Object.keys(cats).forEach(function (k) {
      var row = document.createElement("div");
      var i = document.createElement("i"); i.style.background = labels.colours[k] || "#999";
      row.appendChild(i); row.appendChild(document.createTextNode(cats[k]));
      div.appendChild(row);
    });
    return div;
  };
  legend.addTo(map);
  refresh();
})();
