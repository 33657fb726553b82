/* The basemap under the registry's layers (DESIGN §5): none, local tiles served by the
 * registry, or an online template. GCJ-02 sources (AMap, Tencent) are drawn shifted by the
 * GCJ-02 offset at the view's centre, so CGCS2000 features sit on the right streets (the
 * offset changes by a few metres across a city, well under a pixel at street zooms). */
(function () {
  "use strict";
  var PI = Math.PI, A = 6378245.0, EE = 0.00669342162296594323;

  function lat(x, y) {
    var r = -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
    r += (20 * Math.sin(6 * x * PI) + 20 * Math.sin(2 * x * PI)) * 2 / 3;
    r += (20 * Math.sin(y * PI) + 40 * Math.sin(y / 3 * PI)) * 2 / 3;
    r += (160 * Math.sin(y / 12 * PI) + 320 * Math.sin(y * PI / 30)) * 2 / 3;
    return r;
  }
  function lng(x, y) {
    var r = 300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
    r += (20 * Math.sin(6 * x * PI) + 20 * Math.sin(2 * x * PI)) * 2 / 3;
    r += (20 * Math.sin(x * PI) + 40 * Math.sin(x / 3 * PI)) * 2 / 3;
    r += (150 * Math.sin(x / 12 * PI) + 300 * Math.sin(x / 30 * PI)) * 2 / 3;
    return r;
  }
  /* WGS84 (≈ CGCS2000) longitude/latitude to GCJ-02, as resilience/geo.py computes it. */
  function toGcj02(lon, la) {
    if (lon < 72.004 || lon > 137.8347 || la < 0.8293 || la > 55.8271) { return [lon, la]; }
    var dLat = lat(lon - 105.0, la - 35.0), dLng = lng(lon - 105.0, la - 35.0);
    var rad = la / 180.0 * PI, magic = 1 - EE * Math.sin(rad) * Math.sin(rad), sq = Math.sqrt(magic);
    dLat = (dLat * 180.0) / ((A * (1 - EE)) / (magic * sq) * PI);
    dLng = (dLng * 180.0) / (A / sq * Math.cos(rad) * PI);
    return [lon + dLng, la + dLat];
  }
  window.resilienceGcj02 = toGcj02;

  var holder = document.getElementById("resilience-basemap");
  var layers = window.resilienceLayers || [];
  if (!holder || !layers.length) { return; }
  var cfg = JSON.parse(holder.textContent);
  if (!cfg.url) { return; }
  var map = layers[0].map;
  var pane = map.createPane("basemap");
  pane.style.zIndex = 150;  /* under the registry's panes */
  L.tileLayer(cfg.url, { pane: "basemap", maxNativeZoom: cfg.max_zoom, maxZoom: 20,
    attribution: cfg.attribution || "", subdomains: "01234567" }).addTo(map);
  if (!cfg.gcj02) { return; }
  function shift() {
    var c = map.getCenter(), g = toGcj02(c.lng, c.lat);
    var here = map.latLngToLayerPoint(c), there = map.latLngToLayerPoint([g[1], g[0]]);
    pane.style.transform = "translate(" + (here.x - there.x) + "px," + (here.y - there.y) + "px)";
    pane.setAttribute("data-shift", (here.x - there.x).toFixed(1) + "," + (here.y - there.y).toFixed(1));
  }
  map.on("zoomend moveend viewreset", shift);
  shift();
})();
