// The console's script: the situation map (vendored Leaflet, Natural Earth borders through
// topojson-client, no tiles: it works with no internet) and the live feed (Server-Sent
// Events from /api/v1/stream, which sends only what the signed-in account may read).
(function () {
  'use strict';
  var CAP = 'urn:oasis:names:tc:emergency:cap:1.2';

  function mapPage() {
    var el = document.getElementById('map');
    if (!el) { return; }
    var data = JSON.parse(document.getElementById('map-data').textContent);
    var map = L.map(el, { worldCopyJump: true, attributionControl: true }).setView([46, 66], 3);
    map.attributionControl.addAttribution('Natural Earth');
    var colours = { member: '#1f3a5f', frozen: '#9aa5b1', suspended: '#8a1c1c', partner: '#4a8f6a', observer: '#b58a2a' };
    fetch('/assets/vendor/world-atlas-2.0.2/countries-50m.json')
      .then(function (r) { return r.json(); })
      .then(function (topo) {
        var countries = topojson.feature(topo, topo.objects.countries);
        var shown = 0;
        // Chukotka lies past the antimeridian: drawn west of -180° it would stretch Russia
        // across the whole map, so its points go east of 180° instead.
        countries.features.forEach(function (f) {
          if (f.id !== '643' || f.geometry.type !== 'MultiPolygon') { return; }
          f.geometry.coordinates = f.geometry.coordinates.map(function (polygon) {
            return polygon.map(function (ring) {
              return ring.map(function (c) { return c[0] < 0 ? [c[0] + 360, c[1]] : c; });
            });
          });
        });
        L.geoJSON(countries, {
          style: function (f) {
            var s = data.states[f.id];
            if (s) { shown += 1; }
            return s
              ? { color: '#ffffff', weight: 1, fillColor: colours[s.status] || '#cccccc', fillOpacity: 0.75 }
              : { color: '#ffffff', weight: 0.5, fillColor: '#dde3ea', fillOpacity: 1 };
          },
          onEachFeature: function (f, layer) {
            var s = data.states[f.id];
            if (s) { layer.bindTooltip(s.name + ' — ' + s.label); }
          }
        }).addTo(map).bringToBack();
        el.dataset.countries = String(countries.features.length);
        el.dataset.states = String(shown);
        el.dataset.ready = 'true';
      });
    data.incidents.forEach(function (i) {
      var layer = L.geoJSON(i.place, {
        pointToLayer: function (f, latlng) { return L.circleMarker(latlng, { radius: 7, color: '#8a1c1c' }); },
        style: function () { return { color: '#8a1c1c', weight: 2 }; }
      });
      layer.bindPopup('');
      layer.setPopupContent(document.createTextNode(i.severity + ' — ' + i.title));
      layer.addTo(map);
    });
    el.dataset.incidents = String(data.incidents.length);
  }

  function text(xml, name) {
    var found = xml.getElementsByTagNameNS(CAP, name)[0];
    return found ? found.textContent : '';
  }

  function liveFeed() {
    var list = document.getElementById('live');
    if (!list) { return; }
    var source = new EventSource('/api/v1/stream');
    source.addEventListener('open', function () { list.dataset.connected = 'true'; });
    function add(line, kind, index) {
      var item = document.createElement('li');
      item.className = kind;
      item.dataset.index = index;
      item.textContent = line;
      list.insertBefore(item, list.firstChild);
      var empty = document.getElementById('live-empty');
      if (empty) { empty.remove(); }
    }
    source.addEventListener('alert-issued', function (e) {
      var entry = JSON.parse(e.data);
      var xml = new DOMParser().parseFromString(entry.event.body.alert.cap, 'application/xml');
      var title = text(xml, 'headline') || text(xml, 'event') || entry.event.body.alert.id;
      add(text(xml, 'severity') + ' · ' + title, 'alert', e.lastEventId);
    });
    source.addEventListener('incident-reported', function (e) {
      var report = JSON.parse(e.data).event.body.report;
      add(report.severity + ' · ' + report.title + ' (' + report.reporter + ')', 'incident', e.lastEventId);
    });
  }

  document.addEventListener('DOMContentLoaded', function () { mapPage(); liveFeed(); });
})();
