// The asset form's map: draw or edit the one geometry (Leaflet.draw, served locally).
// The drawn shape goes to the hidden "geometry" input as GeoJSON; typed coordinates win.
(function () {
  "use strict";
  var holder = document.getElementById("draw-map");
  var input = document.getElementById("geometry-input");
  if (!holder || !input || typeof L === "undefined" || !L.Control.Draw) { return; }
  var types = (holder.getAttribute("data-types") || "").split(",");
  var extent = (holder.getAttribute("data-extent") || "").split(",").map(Number);
  var map = L.map(holder, { attributionControl: false });
  var drawn = new L.FeatureGroup().addTo(map);
  var style = { color: "#1f4e79", weight: 5 };

  function save() {
    var layers = drawn.getLayers();
    input.value = layers.length ? JSON.stringify(layers[0].toGeoJSON().geometry) : "";
  }

  if (input.value) {
    try {
      L.geoJSON(JSON.parse(input.value), {
        style: function () { return style; },
        pointToLayer: function (_f, latlng) { return L.marker(latlng); }
      }).eachLayer(function (layer) { drawn.addLayer(layer); });
    } catch (e) { input.value = ""; }
  }
  if (drawn.getLayers().length) {
    map.fitBounds(drawn.getBounds().pad(0.8), { maxZoom: 18 });
  } else if (extent.length === 4 && extent.every(isFinite)) {
    map.fitBounds([[extent[1], extent[0]], [extent[3], extent[2]]]);
  } else {
    map.setView([30.27, 120.16], 12);
  }
  L.control.scale({ imperial: false }).addTo(map);
  var words = JSON.parse((document.getElementById("draw-strings") || {}).textContent || "{}");
  if (L.drawLocal && words.finish) {  // the drawing tools speak the page's language
    var d = L.drawLocal.draw, e = L.drawLocal.edit;
    d.toolbar.actions.text = words.cancel;
    d.toolbar.finish.text = words.finish;
    d.toolbar.undo.text = words.undo;
    d.toolbar.buttons.polyline = words.line;
    d.toolbar.buttons.polygon = words.polygon;
    d.toolbar.buttons.marker = words.point;
    d.handlers.polyline.tooltip = { start: words.start, cont: words.next, end: words.end };
    d.handlers.polygon.tooltip = { start: words.start, cont: words.next, end: words.end };
    d.handlers.marker.tooltip.start = words.start;
    e.toolbar.actions.save.text = words.save;
    e.toolbar.actions.cancel.text = words.cancel;
    e.toolbar.actions.clearAll.text = words.clear;
    e.toolbar.buttons.edit = words.edit;
    e.toolbar.buttons.remove = words.remove;
    e.handlers.edit.tooltip.text = words.editing;
    e.handlers.remove.tooltip.text = words.removing;
  }
  var has = function (t) { return types.indexOf(t) >= 0; };
  map.addControl(new L.Control.Draw({
    position: "topleft",
    edit: { featureGroup: drawn, remove: true },
    draw: {
      marker: has("Point"),
      polyline: has("LineString") ? { shapeOptions: style } : false,
      polygon: has("Polygon") || has("MultiPolygon") ? { shapeOptions: style, allowIntersection: false } : false,
      rectangle: false, circle: false, circlemarker: false
    }
  }));
  map.on(L.Draw.Event.CREATED, function (e) {
    drawn.clearLayers();  // one asset, one geometry
    drawn.addLayer(e.layer);
    save();
  });
  map.on(L.Draw.Event.EDITED, save);
  map.on(L.Draw.Event.DELETED, save);

  // A stale edit: "use saved value" copies the colleague's value into the field.
  Array.prototype.forEach.call(document.querySelectorAll(".take-theirs"), function (button) {
    button.addEventListener("click", function () {
      var field = document.getElementById("f-" + button.getAttribute("data-field"));
      if (field) { field.value = button.getAttribute("data-value"); field.focus(); }
    });
  });
  var problems = document.querySelector(".field.invalid input, .field.invalid select, .field.invalid textarea");
  if (problems) { problems.focus(); }
})();

// A select that follows another (管线小类 under 管线大类): only the chosen 大类's group is
// offered, and a 小类 chosen first sets its 大类. Without script the groups still show.
(function () {
  "use strict";
  Array.prototype.forEach.call(document.querySelectorAll("select[data-follows]"), function (child) {
    var parent = document.getElementById("f-" + child.getAttribute("data-follows"));
    if (!parent) { return; }
    function offer(clear) {
      var chosen = child.options[child.selectedIndex];
      if (clear && parent.value && chosen && chosen.parentNode.getAttribute("data-parent") !== parent.value) {
        child.value = "";
        chosen = null;
      }
      Array.prototype.forEach.call(child.querySelectorAll("optgroup"), function (group) {
        var other = !!parent.value && group.getAttribute("data-parent") !== parent.value &&
          !(chosen && chosen.parentNode === group);  // kept: a disabled choice is not sent
        group.hidden = other;
        group.disabled = other;
      });
    }
    parent.addEventListener("change", function () { offer(true); });
    child.addEventListener("change", function () {
      var chosen = child.options[child.selectedIndex];
      var group = chosen && chosen.parentNode.getAttribute("data-parent");
      if (group && !parent.value) { parent.value = group; offer(false); }
    });
    offer(false);  // a value sent back with a problem stays as the person chose it
  });
})();
