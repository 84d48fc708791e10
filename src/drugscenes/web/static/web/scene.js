/* The scene page's small map: the scene (dashed black) and each organisation's outline
   of the place in the open rounds, from the page's JSON data block "scene-shapes". */
(function () {
  "use strict";
  var el = document.getElementById("scene-map");
  var block = document.getElementById("scene-shapes");
  if (!el || !block) { return; }
  var data = JSON.parse(block.textContent);
  var colours = ["#e63946", "#1d3557", "#2a9d8f", "#f4a261", "#6a4c93", "#8d6e63"];
  var orgColour = {};
  function colour(org) {
    if (!(org in orgColour)) { orgColour[org] = colours[Object.keys(orgColour).length % colours.length]; }
    return orgColour[org];
  }
  var map = L.map(el, { scrollWheelZoom: false });
  window.dsSceneMap = map;  // for the browser test and the console
  var layer = L.geoJSON(data, {
    style: function (f) {
      var p = f.properties;
      return p.kind === "scene"
        ? { color: "#000", weight: 3, dashArray: "6 4", fill: false }
        : { color: colour(p.organisation), weight: 2, fillOpacity: 0.15 };
    },
    onEachFeature: function (f, l) {
      var p = f.properties;
      l.bindTooltip(p.kind === "scene" ? p.label : p.label + " — IoU " + p.iou);
    }
  }).addTo(map);
  layer.eachLayer(function (l) { if (l.feature.properties.kind === "scene") { l.bringToFront(); } });
  map.fitBounds(layer.getBounds().pad(0.3), { maxZoom: 18 });
  // a legend of the organisations' colours (the tooltips name each outline too)
  var legend = document.getElementById("scene-legend");
  Object.keys(orgColour).forEach(function (org) {
    var li = document.createElement("li"), swatch = document.createElement("span");
    swatch.className = "swatch";
    swatch.style.borderColor = orgColour[org];
    li.appendChild(swatch);
    li.appendChild(document.createTextNode(org));
    legend.appendChild(li);
  });
}());
