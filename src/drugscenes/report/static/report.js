/* The report map: the region's own boundaries as base map, scenes coloured by fate.
   Styles, legend, start view and label places come from the report (data.styles,
   data.legend, data.bounds, data.place_labels), so that the legend and the PDF's static
   map show each layer exactly as drawn here. */
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
  // A layer's path options (data.styles) with its class name and, for scenes, its fate.
  function style(layer, fillColor, className) {
    var s = {};
    Object.keys(data.styles[layer]).forEach(function (k) {
      if (data.styles[layer][k] !== null) { s[k] = data.styles[layer][k]; }
    });
    if (fillColor) { s.fillColor = fillColor; }
    s.className = className;
    return s;
  }
  function fateColor(f) { return data.colors[f] || "#999999"; }
  var counts = { municipalities: 0, scenes: 0, ceased: 0, candidates: 0 };
  var munis = L.geoJSON(data.municipalities, {
    style: style("municipalities", null, "ds-muni"),
    onEachFeature: function (f, layer) { counts.municipalities++; layer.bindTooltip(esc(f.properties.name)); }
  }).addTo(map);
  var ceased = L.geoJSON(data.ceased, {
    style: style("ceased", null, "ds-ceased"),
    onEachFeature: function (f, layer) { counts.ceased++; layer.bindPopup(popup(f.properties)); }
  }).addTo(map);
  var scenes = L.geoJSON(data.scenes, {
    style: function (f) {
      return style("scenes", fateColor(f.properties.fate), "ds-scene ds-fate-" + f.properties.fate);
    },
    onEachFeature: function (f, layer) { counts.scenes++; layer.bindPopup(popup(f.properties)); }
  }).addTo(map);
  var candidates = L.geoJSON(data.candidates, {
    style: style("candidates", null, "ds-candidate"),
    onEachFeature: function (f, layer) { counts.candidates++; layer.bindPopup(popup(f.properties)); }
  }).addTo(map);
  // Scenes are a few thousand m² in a county of thousands of km²: a circle at each keeps
  // them visible when zoomed out (drawn as the layer itself); the polygons take over when
  // zoomed in.
  map.createPane("dsMarkers").style.zIndex = 450;  // above every polygon layer
  function marker(f, s) {
    var c = f.properties.centre;
    s.radius = data.marker_radius;
    s.pane = "dsMarkers";
    return L.circleMarker([c[1], c[0]], s).bindPopup(popup(f.properties));
  }
  var markers = L.layerGroup();
  data.ceased.features.forEach(function (f) {
    marker(f, style("ceased", null, "ds-ceased-marker")).addTo(markers);
  });
  data.scenes.features.forEach(function (f) {
    marker(f, style("scenes", fateColor(f.properties.fate), "ds-scene-marker")).addTo(markers);
  });
  // Municipality names, placed in data.place_labels' order; one that would overlap a name
  // placed before it is hidden.
  var labels = data.place_labels.map(function (p) {
    return L.tooltip({ permanent: true, direction: "center", className: "ds-muni-label",
                       interactive: false, opacity: 1 })
      .setLatLng(p.at).setContent(esc(p.name));
  });
  var labelLayer = L.layerGroup(labels).addTo(map);
  function declutter() {
    var placed = [];
    labels.forEach(function (tip) {
      var node = tip.getElement();
      if (!node) { return; }
      node.classList.remove("ds-hidden");
      var r = node.getBoundingClientRect();
      var hit = placed.some(function (q) {
        return r.left < q.right && q.left < r.right && r.top < q.bottom && q.top < r.bottom;
      });
      if (hit) { node.classList.add("ds-hidden"); } else { placed.push(r); }
    });
  }
  function toggleMarkers() {
    if (map.getZoom() < data.marker_max_zoom) { markers.addTo(map); } else { markers.remove(); }
  }
  map.on("zoomend", toggleMarkers);
  map.on("zoomend moveend", declutter);
  // The layer control shows its names as HTML.
  var overlays = {};
  overlays[esc(data.labels.municipalities)] = munis;
  overlays[esc(data.labels.scenes)] = scenes;
  if (counts.ceased) { overlays[esc(data.labels.ceased)] = ceased; }
  if (counts.candidates) { overlays[esc(data.labels.candidates)] = candidates; }
  L.control.layers(null, overlays, { collapsed: false }).addTo(map);
  L.control.scale({ imperial: false }).addTo(map);
  // The start view holds everything drawn (computed by the report from all layers).
  var b = data.bounds || data.region_bounds;
  if (b) { map.fitBounds(b, { padding: [20, 20] }); } else { map.setView([59.33, 18.07], 9); }
  toggleMarkers();
  declutter();
  var legend = document.getElementById("ds-legend");
  var SVG = "http://www.w3.org/2000/svg";
  // The SVG attributes Leaflet gives a path of this style (mapdata.svg_attributes).
  function svgAttributes(s) {
    var a = { "stroke": s.color, "stroke-opacity": String(s.opacity), "stroke-width": String(s.weight) };
    if (s.dashArray) { a["stroke-dasharray"] = s.dashArray; }
    if (s.fill) {
      a.fill = s.fillColor || s.color;
      a["fill-opacity"] = String(s.fillOpacity);
    } else {
      a.fill = "none";
    }
    return a;
  }
  if (legend && !legend.firstChild) {
    // Built with the DOM: the policy allows no style attribute in markup. Each swatch is
    // the layer's symbol on the ground it is drawn over.
    data.legend.forEach(function (entry) {
      var item = document.createElement("span");
      item.className = "item";
      item.dataset.layer = entry.layer;
      item.dataset.key = entry.key;
      var sw = document.createElement("span");
      sw.className = "sw";
      sw.style.background = entry.layer === "municipalities"
        ? data.background : data.styles.municipalities.fillColor;
      var svg = document.createElementNS(SVG, "svg");
      svg.setAttribute("viewBox", "0 0 18 14");
      svg.setAttribute("width", "18");
      svg.setAttribute("height", "14");
      svg.setAttribute("aria-hidden", "true");
      var rect = document.createElementNS(SVG, "rect");
      [["x", "2"], ["y", "2"], ["width", "14"], ["height", "10"]].forEach(function (kv) {
        rect.setAttribute(kv[0], kv[1]);
      });
      var attrs = svgAttributes(entry.style);
      Object.keys(attrs).forEach(function (k) { rect.setAttribute(k, attrs[k]); });
      svg.appendChild(rect);
      sw.appendChild(svg);
      item.appendChild(sw);
      item.appendChild(document.createTextNode(entry.label));
      legend.appendChild(item);
    });
  }
  function box(bounds) {
    return bounds && bounds.isValid()
      ? [[bounds.getSouth(), bounds.getWest()], [bounds.getNorth(), bounds.getEast()]] : null;
  }
  var view = map.getBounds();
  counts.view = box(view);
  counts.layer_bounds = {
    scenes: box(scenes.getBounds()), ceased: box(ceased.getBounds()),
    candidates: box(candidates.getBounds())
  };
  counts.labels = labels.length;
  window.dsMapReady = counts;
})();
