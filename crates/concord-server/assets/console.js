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
    var count = 0;
    function mark(i) {
      var layer = L.geoJSON(i.place, {
        pointToLayer: function (f, latlng) { return L.circleMarker(latlng, { radius: 7, color: '#8a1c1c' }); },
        style: function () { return { color: '#8a1c1c', weight: 2 }; }
      });
      layer.bindPopup('');
      layer.setPopupContent(document.createTextNode(i.severity + ' — ' + i.title));
      layer.addTo(map);
      count += 1;
      el.dataset.incidents = String(count);
    }
    data.incidents.forEach(mark);
    el.dataset.incidents = String(count);
    // Live: reports recorded here or received from other nodes, as the stream sends them
    // (only what the signed-in account may read).
    var source = new EventSource('/api/v1/stream');
    source.addEventListener('open', function () { el.dataset.live = 'true'; });
    source.addEventListener('incident-reported', function (e) {
      var report = JSON.parse(e.data).event.body.report;
      mark({ place: report.place, severity: report.severity, title: report.title });
    });
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

  // RFC 8785 canonical JSON for what a position holds (strings, integers, objects):
  // members sorted by their UTF-16 code units, no white space.
  function canonical(value) {
    if (value === null || typeof value !== 'object') { return JSON.stringify(value); }
    if (Array.isArray(value)) { return '[' + value.map(canonical).join(',') + ']'; }
    return '{' + Object.keys(value).sort().map(function (k) {
      return JSON.stringify(k) + ':' + canonical(value[k]);
    }).join(',') + '}';
  }

  function base64(bytes) {
    var text = '';
    new Uint8Array(bytes).forEach(function (b) { text += String.fromCharCode(b); });
    return btoa(text);
  }

  // A delegation's key file: header, owner, key id, the 32-byte seed in base64.
  function readKeyFile(text) {
    var lines = text.split(/\r?\n/);
    if (lines[0] !== 'CONCORD ED25519 SECRET KEY') { throw new Error('not a Concord key file'); }
    return {
      owner: lines[1].replace(/^owner: /, '').trim(),
      id: lines[2].replace(/^key-id: /, '').trim(),
      seed: Uint8Array.from(atob(lines[3].trim()), function (c) { return c.charCodeAt(0); })
    };
  }

  // The seal's moment: now, whole seconds, UTC.
  function now() {
    return new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  }

  // Seals `command` with `key` for the deployment `origin` at `issuedAt` (WebCrypto
  // Ed25519, a random nonce) and posts it: only the signature leaves this computer.
  function signAndSend(key, origin, command, issuedAt) {
    var nonce = base64(crypto.getRandomValues(new Uint8Array(16)))
      .replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
    // PKCS #8 wrapping of an Ed25519 seed (RFC 8410).
    var prefix = [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20];
    var pkcs8 = new Uint8Array(48);
    pkcs8.set(prefix); pkcs8.set(key.seed, 16);
    var signable = { origin: origin, issued_at: issuedAt, nonce: nonce, command: command };
    var message = new TextEncoder().encode('concord-command-v2\n' + canonical(signable));
    return crypto.subtle.importKey('pkcs8', pkcs8, { name: 'Ed25519' }, false, ['sign'])
      .then(function (k) { return crypto.subtle.sign({ name: 'Ed25519' }, k, message); })
      .then(function (signature) {
        return fetch('/api/v1/council/commands', {
          method: 'POST', headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            command: command,
            seal: { key: key.id, issued_at: issuedAt, nonce: nonce, signature: base64(signature) }
          })
        });
      });
  }

  // Reads the key file, checks its owner, signs and sends; says how it went.
  function signForm(file, d, say, build) {
    if (!file) { say(d.failed, false); return; }
    file.text().then(function (text) {
      var key = readKeyFile(text);
      var signer = d.signer || d.member;
      if (key.owner !== signer) { throw new Error('the key is ' + key.owner + '\'s, not ' + signer + '\'s'); }
      var issuedAt = now();
      return signAndSend(key, d.origin, build(issuedAt), issuedAt);
    }).then(function (response) {
      if (!response) { return; }
      return response.json().then(function (body) {
        if (response.status === 201) { say(d.done, true); setTimeout(function () { location.reload(); }, 300); }
        else { say(d.failed + ' ' + (body.detail || response.status), false); }
      });
    }).catch(function (err) { say(d.failed + ' ' + err.message, false); });
  }

  // A position on a circulated version, signed by the delegation's key.
  function positionForm() {
    var form = document.getElementById('position-form');
    if (!form) { return; }
    var result = document.getElementById('sign-result');
    form.addEventListener('submit', function (e) {
      e.preventDefault();
      var d = form.dataset;
      var say = function (text, ok) { result.textContent = text; result.className = ok ? 'done' : 'error'; };
      signForm(document.getElementById('key-file').files[0], d, say, function (issuedAt) {
        var command = {
          action: 'record-position', document: d.document, version: Number(d.version), hash: d.hash,
          member: d.member, stance: document.getElementById('stance').value, signed_on: issuedAt.slice(0, 10)
        };
        var reason = document.getElementById('reason').value.trim();
        var signatory = document.getElementById('signatory').value.trim();
        if (reason) { command.reason = reason; }
        if (signatory) { command.signatory = signatory; }
        return command;
      });
    });
  }

  // A field's text as the command's value: a number, a party (`KAZ`, `body:joint-staff`),
  // a record (`programme:ID`), or the text itself.
  function convert(type, text) {
    if (type === 'number') { return Number(text); }
    if (type === 'party') {
      return text.indexOf('body:') === 0 ? { body: text.slice(5) } : { member: text.toUpperCase() };
    }
    if (type === 'record') {
      var at = text.indexOf(':');
      var record = {};
      record[text.slice(0, at)] = text.slice(at + 1);
      return record;
    }
    return text;
  }

  // Any other signed command: the page fixes some fields (data-fixed), the inputs give the
  // rest (`note.en` is field `en` of `note`; data-type="number" is a number).
  function signedForms() {
    document.querySelectorAll('form.signed-command').forEach(function (form) {
      var result = form.querySelector('.sign-result');
      form.addEventListener('submit', function (e) {
        e.preventDefault();
        var d = form.dataset;
        var say = function (text, ok) { result.textContent = text; result.className = 'sign-result ' + (ok ? 'done' : 'error'); };
        signForm(form.querySelector('.key-file').files[0], d, say, function () {
          var command = Object.assign({ action: d.action }, JSON.parse(d.fixed));
          form.querySelectorAll('input[name]').forEach(function (input) {
            var path = input.name.split('.');
            var value = convert(input.dataset.type, input.value.trim());
            var at = command;
            path.slice(0, -1).forEach(function (p) { at = at[p] = at[p] || {}; });
            at[path[path.length - 1]] = value;
          });
          if (command.action === 'report-progress') {
            command.status = command.percent >= 100 ? 'done' : 'in-progress';
          }
          return command;
        });
      });
    });
  }

  // The ledger explorer checks, in the browser, that each listed entry's leaf is in the
  // tree whose root the page's checkpoint states (RFC 9162 §2.1.3.2, SHA-256 by WebCrypto).
  function sha256(bytes) {
    return crypto.subtle.digest('SHA-256', bytes).then(function (d) { return new Uint8Array(d); });
  }
  function fromBase64(text) {
    return Uint8Array.from(atob(text), function (c) { return c.charCodeAt(0); });
  }
  function interior(left, right) {
    var m = new Uint8Array(65);
    m[0] = 1; m.set(left, 1); m.set(right, 33);
    return sha256(m);
  }
  function rootFromInclusion(index, size, leaf, path) {
    var fn = index, sn = size - 1, r = Promise.resolve(leaf), bad = false;
    path.forEach(function (p) {
      if (sn === 0) { bad = true; return; }
      if ((fn & 1) === 1 || fn === sn) {
        r = r.then(function (x) { return interior(p, x); });
        if ((fn & 1) === 0) { while ((fn & 1) === 0 && fn !== 0) { fn >>= 1; sn >>= 1; } }
      } else {
        r = r.then(function (x) { return interior(x, p); });
      }
      fn >>= 1; sn >>= 1;
    });
    return r.then(function (x) { return bad || sn !== 0 ? null : x; });
  }
  function same(a, b) {
    return a && b && a.length === b.length && a.every(function (x, i) { return x === b[i]; });
  }
  // The checkpoint is a C2SP signed note: its text, a blank line, then
  // `— <name> <base64(4-byte key id || Ed25519 signature)>`; the verifier key is
  // `<name>+<hex key id>+<base64(0x01 || public key)>`.
  function checkSignature(text, cell) {
    var blank = text.indexOf('\n\n');
    var body = new TextEncoder().encode(text.slice(0, blank + 1));
    var signed = fromBase64(text.slice(blank + 2).split('\n')[0].split(' ')[2]);
    return fetch('/api/v1/ledger/key')
      .then(function (r) { return r.json(); })
      .then(function (k) {
        // The key's base64 may itself hold `+`: split at the first two only.
        var vk = k.verifier_key, a = vk.indexOf('+'), b = vk.indexOf('+', a + 1);
        var parts = [vk.slice(0, a), vk.slice(a + 1, b), vk.slice(b + 1)];
        var id = Array.from(signed.slice(0, 4), function (b) { return b.toString(16).padStart(2, '0'); }).join('');
        if (id !== parts[1]) { return [false, parts[1]]; }
        return crypto.subtle.importKey('raw', fromBase64(parts[2]).slice(1), { name: 'Ed25519' }, false, ['verify'])
          .then(function (key) { return crypto.subtle.verify({ name: 'Ed25519' }, key, signed.slice(4), body); })
          .then(function (ok) { return [ok, parts[1]]; });
      })
      .then(function (result) {
        cell.dataset.verified = result[0] ? 'yes' : 'no';
        cell.textContent = (result[0] ? cell.dataset.ok : cell.dataset.bad) + ' ' + result[1];
      })
      .catch(function () { cell.dataset.verified = 'no'; cell.textContent = cell.dataset.bad; });
  }

  function ledgerPage() {
    var section = document.getElementById('entries');
    var note = document.getElementById('checkpoint');
    if (!section || !note) { return; }
    checkSignature(note.textContent, document.getElementById('checkpoint-check'));
    var lines = note.textContent.split('\n');
    var size = Number(lines[1]);
    var root = fromBase64(lines[2]);
    document.querySelectorAll('.proof-check').forEach(function (cell) {
      var index = Number(cell.dataset.index);
      if (index >= size) { return; } // recorded after the checkpoint was signed
      fetch('/api/v1/ledger/proof/inclusion?index=' + index + '&size=' + size)
        .then(function (r) { return r.json(); })
        .then(function (proof) {
          return rootFromInclusion(index, size, fromBase64(proof.leaf_hash), proof.path.map(fromBase64));
        })
        .then(function (computed) {
          var ok = same(computed, root);
          cell.dataset.verified = ok ? 'yes' : 'no';
          cell.textContent = ok ? '✔ ' + section.dataset.included : '✘ ' + section.dataset.notIncluded;
        })
        .catch(function () {
          cell.dataset.verified = 'no';
          cell.textContent = '✘ ' + section.dataset.notIncluded;
        });
    });
  }

  document.addEventListener('DOMContentLoaded', function () { mapPage(); liveFeed(); positionForm(); signedForms(); ledgerPage(); });
})();
