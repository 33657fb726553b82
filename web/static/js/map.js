/* Fills the registry's layers for the visible area; popups use textContent.
 *
 * A layer is drawn from the GeoJSON API (tooltips, popups, every property) while the view
 * holds few enough features, and from the vector tiles of /tiles/{layer}/{z}/{x}/{y}.pbf
 * otherwise: always below the layer's `tilesBelow` zoom (dense layers: the demo city's centre
 * holds ~13,000 segments in a z15 view), and whenever the view's first GeoJSON page comes
 * back with a "next" link (more than PAGE features). Tiles are styled like the GeoJSON and
 * open the same popup on a click, fetched by the feature's id. */
(function () {
  "use strict";
  var labels = JSON.parse(document.getElementById("resilience-labels").textContent);
  var layers = window.resilienceLayers || [];
  if (!layers.length) { return; }
  var map = layers[0].map;
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

  /* A layer's colour, or its feature's: a stored colour (the published maps) or a code's
     (a risk point's level, a hazard zone's class). */
  function colourOf(o, props) {
    props = props || {};
    if (o.colourProperty && props[o.colourProperty]) { return props[o.colourProperty]; }
    if (o.colourBy && o.colours && o.colours[String(props[o.colourBy])]) {
      return o.colours[String(props[o.colourBy])];
    }
    return o.colour;
  }

  function style(layer, feature) {
    var o = layer.options;
    if (layer.collection === "pipelines") {
      return { color: labels.colours[feature.properties.category] || "#6600CC", weight: 2.5, opacity: 0.9 };
    }
    if (o.kind === "area") { return { color: o.colour, weight: 1.5, fill: false, dashArray: "4 4" }; }
    var c = colourOf(o, feature.properties);
    if (o.kind === "zone") { return { color: c, weight: 1, opacity: 0.8, fill: true, fillColor: c, fillOpacity: 0.35 }; }
    return { color: c, weight: o.weight || 3, fillColor: c, fillOpacity: 0.35 };
  }

  /* Small markers at city scale, so points do not hide the lines beneath them. */
  function radius(o, zoom) { return (o.radius || 6) * (zoom < 13 ? 0.5 : zoom < 15 ? 0.75 : 1); }

  function makeGeoJson(layer) {
    return L.geoJSON(null, {
      interactive: layer.options.kind !== "area", /* boundaries give context, not popups */
      /* A click on a GeoJSON feature stays with it; the map's click then means "elsewhere". */
      style: function (f) { var s = style(layer, f); s.bubblingMouseEvents = false; return s; },
      pointToLayer: function (f, latlng) {
        var o = layer.options;
        var c = colourOf(o, f.properties);
        return L.circleMarker(latlng, { radius: radius(o, map.getZoom()), color: c, weight: 1.5,
          fillColor: c, fillOpacity: 0.7, bubblingMouseEvents: false });
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

  /* VectorGrid keeps a feature's properties but not its id, which the popup needs. */
  var RegistryTiles = L.VectorGrid.Protobuf.extend({
    _createLayer: function (feat, pxPerExtent) {
      var drawn = L.VectorGrid.prototype._createLayer.call(this, feat, pxPerExtent);
      drawn.featureId = feat.id;
      this.drawnFeatures = (this.drawnFeatures || 0) + 1;
      return drawn;
    }
  });

  function tileStyle(layer) {
    var o = layer.options;
    return function (properties, zoom) {
      var s = style(layer, { properties: properties });
      if (layer.collection === "pipelines") { s.weight = zoom < 13 ? 1.5 : 2.5; }
      if (o.kind === "point" || o.kind === "mixed") {
        s.radius = radius(o, zoom); s.fill = true; s.weight = 1.5; s.fillOpacity = o.kind === "point" ? 0.7 : 0.35;
      }
      return s;
    };
  }

  function tilesOf(layer) {
    if (layer.tiles) { return layer.tiles; }
    var styles = {};
    styles[layer.collection] = tileStyle(layer);
    var tiles = new RegistryTiles("/tiles/" + layer.collection + "/{z}/{x}/{y}.pbf", {
      rendererFactory: L.canvas.tile,
      vectorTileLayerStyles: styles,
      /* Clicks are hit-tested from the map (see tileFeatureAt): the GeoJSON layers' canvas
         lies above the tiles and takes every pointer event. Keeping features by id is what
         lets the hit test find them. */
      getFeatureId: layer.options.kind === "area" ? undefined : function (f) { return f.id; },
      tolerance: 3,
      minZoom: layer.options.minZoom || 0,
      maxNativeZoom: 22,
      zIndex: 2, /* above a basemap */
      fetchOptions: { credentials: "same-origin" }
    });
    tiles.on("load", function () {
      document.body.setAttribute("data-loaded-" + layer.collection, String(tiles.drawnFeatures || 0));
    });
    layer.tiles = tiles;
    return tiles;
  }

  function show(layer, mode, drawn) {
    layer.group.clearLayers();
    layer.group.addLayer(drawn);
    document.body.setAttribute("data-mode-" + layer.collection, mode);
  }

  function showTiles(layer) {
    var tiles = tilesOf(layer);
    if (!layer.group.hasLayer(tiles)) { show(layer, "tiles", tiles); }
  }

  function load(layer) {
    var o = layer.options;
    var zoom = map.getZoom();
    if (!map.hasLayer(layer.group)) { return; }
    var token = (layer.token = (layer.token || 0) + 1);
    if (o.minZoom && zoom < o.minZoom) {
      layer.group.clearLayers();
      document.body.setAttribute("data-mode-" + layer.collection, "hidden");
      return;
    }
    /* A selection sent from a table (o.query: items API filters) has no tiles: GeoJSON only. */
    if (!o.query && o.tilesBelow && zoom < o.tilesBelow) { showTiles(layer); return; }
    var b = map.getBounds();
    var bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (v) { return v.toFixed(6); }).join(",");
    var url = "/api/collections/" + layer.collection + "/items?limit=" + PAGE + "&bbox=" + bbox +
      (o.query ? "&" + o.query : "");
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/geo+json" } })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (fc) {
        if (token !== layer.token) { return; }
        if (!o.query && (fc.links || []).some(function (l) { return l.rel === "next"; })) {
          showTiles(layer);
          return;
        }
        var geo = makeGeoJson(layer);
        if (layer.collection === "pipelines") {
          /* Safety-critical lines are drawn last, on top: gas, then water and drainage. */
          fc.features.sort(function (a, b) {
            return (DRAW_ORDER[a.properties.category] || 0) - (DRAW_ORDER[b.properties.category] || 0);
          });
        }
        geo.addData(fc);
        show(layer, "geojson", geo);
        document.body.setAttribute("data-loaded-" + layer.collection, String(fc.features.length));
      })
      .catch(function (e) { document.body.setAttribute("data-error-" + layer.collection, String(e)); });
  }

  /* The id of the tiled feature under a point of the map, or null. */
  function tileFeatureAt(layer, latlng) {
    var tiles = layer.tiles;
    if (!tiles || !tiles._vectorTiles || !layer.group.hasLayer(tiles)) { return null; }
    var size = tiles.getTileSize();
    var p = map.project(latlng, map.getZoom());
    var coords = p.unscaleBy(size).floor();
    coords.z = map.getZoom();
    var renderer = tiles._vectorTiles[tiles._tileCoordsToKey(coords)];
    if (!renderer || !renderer._features) { return null; }
    var local = p.subtract(coords.scaleBy(size));
    var hit = null;
    Object.keys(renderer._features).forEach(function (id) {
      var drawn = renderer._features[id].feature;
      if (drawn.makeInteractive) { drawn.makeInteractive(); } /* bounds for the hit test */
      if (drawn._containsPoint(local)) { hit = drawn.featureId; }
    });
    return hit;
  }

  map.on("click", function (e) {
    for (var i = layers.length - 1; i >= 0; i--) {
      var layer = layers[i];
      var id = layer.options.kind === "area" ? null : tileFeatureAt(layer, e.latlng);
      if (id === null || id === undefined) { continue; }
      fetch("/api/collections/" + layer.collection + "/items/" + encodeURIComponent(id),
            { credentials: "same-origin", headers: { Accept: "application/geo+json" } })
        .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
        .then(function (f) { L.popup().setLatLng(e.latlng).setContent(popup(this.collection, f)).openOn(map); }
          .bind(layer))
        .catch(function (err) { document.body.setAttribute("data-error-" + this.collection, String(err)); }
          .bind(layer));
      return;
    }
  });

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
