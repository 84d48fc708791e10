/* The report map: the region's own boundaries as base map, scenes coloured by fate. */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("ds-data").textContent);
  var el = document.getElementById("ds-map");
  if (!el || !window.L) { return; }
  var map = L.map(el, { zoomSnap: 0.25, attributionControl: !!data.tile_url });
  if (data.tile_url) {
    L.tileLayer(data.tile_url, { attribution: data.tile_attribution || "", maxZoom: 19 }).addTo(map);
  }
  function esc(s) {
    return String(s === null || s === undefined ? "" : s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;" }[c];
    });
  }
  function popup(p) {
    var rows = (p.popup || []).map(function (r) {
      return "<tr><td>" + esc(r[0]) + "</td><td>" + esc(r[1]) + "</td></tr>";
    }).join("");
    return "<strong>" + esc(p.title) + "</strong><table>" + rows + "</table>";
  }
  var counts = { municipalities: 0, scenes: 0, ceased: 0, candidates: 0 };
  var munis = L.geoJSON(data.municipalities, {
    style: { color: "#6b6b6b", weight: 1, fillColor: "#f6f3ec", fillOpacity: 1, className: "ds-muni" },
    onEachFeature: function (f, layer) { counts.municipalities++; layer.bindTooltip(esc(f.properties.name)); }
  }).addTo(map);
  var ceased = L.geoJSON(data.ceased, {
    style: { color: "#555555", weight: 2, dashArray: "4 3", fill: false, className: "ds-ceased" },
    onEachFeature: function (f, layer) { counts.ceased++; layer.bindPopup(popup(f.properties)); }
  }).addTo(map);
  var scenes = L.geoJSON(data.scenes, {
    style: function (f) {
      return { color: "#222222", weight: 1, fillColor: data.colors[f.properties.fate] || "#999999",
               fillOpacity: 0.85, className: "ds-scene ds-fate-" + f.properties.fate };
    },
    onEachFeature: function (f, layer) { counts.scenes++; layer.bindPopup(popup(f.properties)); }
  }).addTo(map);
  // Scenes are a few thousand m² in a county of thousands of km²: a marker at each keeps
  // them visible when zoomed out; the polygons take over when zoomed in.
  map.createPane("dsMarkers").style.zIndex = 450;  // above every polygon layer
  var markers = L.layerGroup(data.scenes.features.map(function (f) {
    var c = f.properties.centre;
    return L.circleMarker([c[1], c[0]], {
      radius: 5, color: "#222222", weight: 1, fillColor: data.colors[f.properties.fate] || "#999999",
      fillOpacity: 0.9, className: "ds-scene-marker", pane: "dsMarkers"
    }).bindPopup(popup(f.properties));
  }));
  data.ceased.features.forEach(function (f) {
    var c = f.properties.centre;
    L.circleMarker([c[1], c[0]], {
      radius: 5, color: "#555555", weight: 1.5, dashArray: "2 2", fill: false,
      className: "ds-ceased-marker", pane: "dsMarkers"
    }).bindPopup(popup(f.properties)).addTo(markers);
  });
  function toggleMarkers() {
    if (map.getZoom() < 14) { markers.addTo(map); } else { markers.remove(); }
  }
  map.on("zoomend", toggleMarkers);
  var candidates = L.geoJSON(data.candidates, {
    style: { color: "#d35400", weight: 2, dashArray: "6 4", fillOpacity: 0.15, className: "ds-candidate" },
    onEachFeature: function (f, layer) { counts.candidates++; layer.bindPopup(popup(f.properties)); }
  }).addTo(map);
  // The layer control shows its names as HTML.
  var overlays = {};
  overlays[esc(data.labels.municipalities)] = munis;
  overlays[esc(data.labels.scenes)] = scenes;
  if (counts.ceased) { overlays[esc(data.labels.ceased)] = ceased; }
  if (counts.candidates) { overlays[esc(data.labels.candidates)] = candidates; }
  L.control.layers(null, overlays, { collapsed: false }).addTo(map);
  L.control.scale({ imperial: false }).addTo(map);
  var b = data.bounds || data.region_bounds;
  if (b) { map.fitBounds(b, { padding: [20, 20] }); } else { map.setView([59.33, 18.07], 9); }
  toggleMarkers();
  var legend = document.getElementById("ds-legend");
  if (legend) {
    // Built with the DOM: the policy allows no style attribute in markup.
    data.legend.forEach(function (item) {
      var sw = document.createElement("span");
      sw.className = "sw";
      sw.style.background = item[1];
      legend.appendChild(sw);
      legend.appendChild(document.createTextNode(item[0]));
    });
  }
  window.dsMapReady = counts;
})();
