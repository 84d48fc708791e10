/* The round's map: editors draw and submit their organisation's outlines, the
   coordinator reconciles them and closes the round. All data through the JSON API. */
(function () {
  "use strict";
  var el = document.getElementById("map");
  var label = el.dataset.round, role = el.dataset.role;
  var api = "/api/rounds/" + encodeURIComponent(label);
  var map = L.map("map");
  window.dsMap = map;  // for the browser test and the console
  var outlines = L.featureGroup().addTo(map);
  var drawn = null, fitted = false;
  var colours = ["#e63946", "#1d3557", "#2a9d8f", "#f4a261", "#6a4c93", "#8d6e63"];
  var orgColour = {};
  // the page's texts in its language (a JSON data block, see web/jsmessages.py)
  var block = document.getElementById("map-texts");
  var i18n = block ? JSON.parse(block.textContent) : { texts: {}, status: {} };

  /* The text in the page's language (the Swedish msgid when it has no entry), with
     each "%s" replaced by the next argument. */
  function t(text) {
    var args = Array.prototype.slice.call(arguments, 1), i = 0;
    return (i18n.texts[text] || text).replace(/%s/g, function () { return String(args[i++]); });
  }
  function statusText(status) {
    return status in i18n.status ? t(i18n.status[status]) : status;
  }

  function csrf() {
    var m = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : "";
  }
  function say(text, isError) {
    var box = document.getElementById("message");
    box.textContent = text;
    box.className = "message" + (isError ? " error" : "");
    box.hidden = false;
  }
  function call(method, url, body) {
    var opts = { method: method, headers: { "X-CSRFToken": csrf() }, credentials: "same-origin" };
    if (body instanceof FormData) { opts.body = body; }
    else if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    return fetch(url, opts).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) {
        if (!r.ok) {
          var extra = (data.problems || []).map(function (p) { return p.message; }).join("; ");
          throw new Error((data.error || ("HTTP " + r.status)) + (extra ? " — " + extra : ""));
        }
        return data;
      });
    });
  }
  function colour(org) {
    if (!(org in orgColour)) { orgColour[org] = colours[Object.keys(orgColour).length % colours.length]; }
    return orgColour[org];
  }
  function button(text, onClick, id) {
    var b = document.createElement("button");
    b.type = "button"; b.textContent = text; b.addEventListener("click", onClick);
    if (id) { b.id = id; }
    return b;
  }
  function list(values) {
    return values.split(",").map(function (s) { return s.trim(); }).filter(Boolean);
  }

  function loadObservations() {
    return call("GET", api + "/observations").then(function (data) {
      outlines.clearLayers();
      var ul = document.getElementById("observations");
      ul.textContent = "";
      data.observations.forEach(function (o) {
        var layer = L.geoJSON(o.geometry, { style: { color: colour(o.organisation.name), weight: 3 } });
        layer.bindTooltip(o.organisation.name + ": " + (o.name || "#" + o.id));
        outlines.addLayer(layer);
        var li = document.createElement("li");
        li.id = "obs-" + o.id;
        li.textContent = o.organisation.name + " — " + (o.name || "#" + o.id) + " — " + statusText(o.status) +
          " — " + Math.round(o.area_m2) + " m² ";
        if (role === "editor" && o.status === "draft") {
          li.appendChild(button(t("Skicka in"), function () {
            call("POST", "/api/observations/" + o.id + "/submit").then(function () {
              say(t("Observationen är inskickad.")); return loadObservations();
            }).catch(function (e) { say(e.message, true); });
          }, "submit-" + o.id));
          li.appendChild(button(t("Ta bort"), function () {
            call("DELETE", "/api/observations/" + o.id).then(loadObservations)
              .catch(function (e) { say(e.message, true); });
          }));
        }
        ul.appendChild(li);
      });
      if (!fitted && outlines.getLayers().length) {
        map.fitBounds(outlines.getBounds().pad(0.5), { maxZoom: 17 });
        fitted = true;
      }
    });
  }

  function loadPlaces() {
    return call("GET", api + "/reconciliation").then(function (data) {
      var ul = document.getElementById("places");
      ul.textContent = "";
      data.places.forEach(function (p, i) {
        var li = document.createElement("li");
        li.className = "place";
        var iou = p.min_iou === null ? t("en organisation") : "IoU " + p.min_iou.toFixed(2);
        li.textContent = t("Plats %s: %s — %s — bara en organisation: %s m²", i + 1,
          p.organisations.join(", "), iou, Math.round(p.only_one_m2)) +
          (p.disagreement ? " — " + t("OENIGHET") : "") + " ";
        var undecided = data.observations.filter(function (o) {
          return p.observations.indexOf(o.id) >= 0 && o.status === "submitted";
        });
        var ids = undecided.map(function (o) { return o.id; });
        if (ids.length) {
          undecided.forEach(function (o) {
            li.appendChild(button(t("Godkänn %s", o.organisation.name), function () {
              decide({ observations: ids, decision: "accepted", method: "one", observation: o.id });
            }, "accept-" + o.id));
          });
          if (ids.length > 1) {
            li.appendChild(button(t("Union"), function () {
              decide({ observations: ids, decision: "accepted", method: "union" });
            }));
            li.appendChild(button(t("Snitt"), function () {
              decide({ observations: ids, decision: "accepted", method: "intersection" });
            }));
          }
          li.appendChild(button(t("Avvisa"), function () {
            var why = window.prompt(t("Varför avvisas den?"));
            if (why) { decide({ observations: ids, decision: "rejected", comment: why }); }
          }));
        }
        ul.appendChild(li);
      });
    });
  }
  function decide(body) {
    call("POST", api + "/scenes", body).then(function () {
      say(t("Beslutet är sparat.")); return Promise.all([loadObservations(), loadPlaces()]);
    }).catch(function (e) { say(e.message, true); });
  }

  call("GET", "/api/municipalities").then(function (data) {
    var base = L.geoJSON(data, { style: { color: "#555", weight: 1, fill: false } }).addTo(map);
    var own = el.dataset.municipality;
    var focus = own ? L.geoJSON(data, { filter: function (f) { return f.properties.code === own; } }) : base;
    if (!fitted) { map.fitBounds(focus.getBounds()); }
  }).catch(function (e) { say(e.message, true); map.setView([59.33, 18.07], 10); });
  loadObservations().catch(function (e) { say(e.message, true); });

  if (role === "editor") {
    var form = document.getElementById("obs-form");
    document.getElementById("upload-form").hidden = false;
    map.addControl(new L.Control.Draw({
      draw: { polygon: { allowIntersection: false, showArea: true }, polyline: false, rectangle: true,
              circle: false, marker: false, circlemarker: false },
      edit: false
    }));
    map.on(L.Draw.Event.CREATED, function (e) {
      drawn = e.layer.toGeoJSON().geometry;
      form.hidden = false;
      say(t("Fyll i kriterierna och spara."));
    });
    document.getElementById("cancel").addEventListener("click", function () { form.hidden = true; drawn = null; });
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var f = new FormData(form);
      var body = {
        geometry: drawn, crs: 4326, name: f.get("name"), note: f.get("note"),
        observed_on: f.get("observed_on") || null,
        criteria: { persistent: f.get("persistent"), open_use: f.get("open_use"),
                    open_sale: f.get("open_sale"), creates_unsafety: f.get("creates_unsafety") },
        activities: list(f.get("activities")), drug_types: list(f.get("drug_types")),
        times_of_day: list(f.get("times_of_day"))
      };
      call("POST", api + "/observations", body).then(function () {
        form.hidden = true; form.reset(); drawn = null;
        say(t("Observationen är sparad som utkast.")); return loadObservations();
      }).catch(function (err) { say(err.message, true); });
    });
    document.getElementById("upload-form").addEventListener("submit", function (e) {
      e.preventDefault();
      call("POST", api + "/upload", new FormData(e.target)).then(function (data) {
        say(t("%s observationer uppladdade.", data.observations.length)); return loadObservations();
      }).catch(function (err) { say(err.message, true); });
    });
  }
  if (role === "coordinator") {
    document.getElementById("coordinator").hidden = false;
    loadPlaces().catch(function (e) { say(e.message, true); });
    document.getElementById("close-round").addEventListener("click", function () {
      call("POST", api + "/close").then(function (data) {
        document.getElementById("round-status").textContent = "(" + data.status + ")";
        say(t("Kartläggningen är stängd: %s scener sparade.", data.stored.n_scenes));
      }).catch(function (e) { say(e.message, true); });
    });
  }
}());
