// The asset page's map: the geometry alone, no basemap needed (nothing leaves the machine).
(function () {
  "use strict";
  var holder = document.getElementById("asset-map");
  var data = document.getElementById("asset-geometry");
  if (!holder || !data || typeof L === "undefined") { return; }
  var geometry = JSON.parse(data.textContent);
  if (!geometry) { holder.hidden = true; return; }
  var map = L.map(holder, { attributionControl: false, zoomSnap: 0.5 });
  var layer = L.geoJSON(geometry, {
    style: function () { return { color: "#1f4e79", weight: 5 }; },
    pointToLayer: function (_f, latlng) {
      return L.circleMarker(latlng, { radius: 8, color: "#1f4e79", weight: 3, fillOpacity: 0.5 });
    }
  }).addTo(map);
  var bounds = layer.getBounds();
  if (bounds.isValid()) {
    map.fitBounds(bounds.pad(0.6), { maxZoom: 18 });
  } else {
    map.setView([30.27, 120.16], 12);
  }
  L.control.scale({ imperial: false }).addTo(map);
})();
