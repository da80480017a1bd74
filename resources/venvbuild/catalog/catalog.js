// The catalog's index: filters and a search box that answers NAME[SPEC] as `venvbuild search` does.
// Installed versions arrive parsed and in PEP 440 order from Python (data/index.js); only the versions typed
// in a SPEC are parsed here, with PEP 440's grammar. Each spec is decided once per distinct version of its
// package, then builds are selected by the positions of the versions they have.
(function () {
  "use strict";
  var PAGE = 200;
  var data = window.VENVBUILD_CATALOG;
  var builds = data.builds; // [version, env, python, created_at, conflict_free], newest first
  var packages = data.packages; // normalised name -> {v: [[pin, parts]], b: [[build index]]}

  // PEP 440 -------------------------------------------------------------------------------------------
  var PRE = "(?:[-_.]?(alpha|a|beta|b|preview|pre|c|rc)[-_.]?([0-9]+)?)?";
  var POST = "(?:-([0-9]+)|[-_.]?(post|rev|r)[-_.]?([0-9]+)?)?";
  var DEV = "(?:[-_.]?(dev)[-_.]?([0-9]+)?)?";
  var LOCAL = "(?:\\+([a-z0-9]+(?:[-_.][a-z0-9]+)*))?";
  var VERSION = new RegExp("^\\s*v?(?:([0-9]+)!)?([0-9]+(?:\\.[0-9]+)*)" + PRE + POST + DEV + LOCAL + "\\s*$", "i");
  var LETTER = { a: 1, alpha: 1, b: 2, beta: 2, c: 3, rc: 3, pre: 3, preview: 3 };
  var LETTER_TEXT = { 1: "a", 2: "b", 3: "rc" };
  // What each operator accepts as its version (packaging's specifier grammar).
  var SPEC_PRE = "(?:[-_.]?(?:alpha|beta|preview|pre|a|b|c|rc)[-_.]?[0-9]*)?";
  var SPEC_POST = "(?:-[0-9]+|[-_.]?(?:post|rev|r)[-_.]?[0-9]*)?";
  var SPEC_DEV = "(?:[-_.]?dev[-_.]?[0-9]*)?";
  var SPEC_VERSION = {
    eq: new RegExp("^v?(?:[0-9]+!)?[0-9]+(?:\\.[0-9]+)*(?:\\.\\*|" + SPEC_PRE + SPEC_POST + SPEC_DEV +
      "(?:\\+[a-z0-9]+(?:[-_.][a-z0-9]+)*)?)$", "i"),
    compatible: new RegExp("^v?(?:[0-9]+!)?[0-9]+(?:\\.[0-9]+)+" + SPEC_PRE + SPEC_POST + SPEC_DEV + "$", "i"),
    ordered: new RegExp("^v?(?:[0-9]+!)?[0-9]+(?:\\.[0-9]+)*" + SPEC_PRE + SPEC_POST + SPEC_DEV + "$", "i"),
    arbitrary: /^[^\s;)]*$/
  };
  var NAME = /^([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(.*)$/;

  function num(text) { return text === undefined ? 0 : parseInt(text, 10); }

  // [text, epoch, release, pre [letter, n] | null, post | null, dev | null, local | null], as model.py gives.
  function parseVersion(text) {
    var m = VERSION.exec(text);
    if (!m) return null;
    var release = m[2].split(".").map(function (p) { return parseInt(p, 10); });
    var pre = m[3] ? [LETTER[m[3].toLowerCase()], num(m[4])] : null;
    var post = m[5] !== undefined ? num(m[5]) : (m[6] ? num(m[7]) : null);
    var dev = m[8] ? num(m[9]) : null;
    var local = m[10] ? m[10].toLowerCase().split(/[-_.]/).map(function (p) {
      return /^[0-9]+$/.test(p) ? parseInt(p, 10) : p;
    }) : null;
    var epoch = num(m[1]);
    var s = (epoch ? epoch + "!" : "") + release.join(".") + (pre ? LETTER_TEXT[pre[0]] + pre[1] : "") +
      (post !== null ? ".post" + post : "") + (dev !== null ? ".dev" + dev : "") + (local ? "+" + local.join(".") : "");
    return [s, epoch, release, pre, post, dev, local];
  }

  function trimmed(release) {
    var end = release.length;
    while (end > 0 && release[end - 1] === 0) end--;
    return release.slice(0, end);
  }

  // packaging's comparison key, as integers: epoch, trimmed release, pre, post, dev.
  function key(v) {
    var out = [v[1]];
    trimmed(v[2]).forEach(function (n) { out.push(1, n); });
    out.push(0);
    var pre = v[3], post = v[4], dev = v[5];
    if (pre === null && post === null && dev !== null) out.push(0, 0);
    else if (pre === null) out.push(4, 0);
    else out.push(pre[0], pre[1]);
    out.push(post === null ? 0 : 1, post === null ? 0 : post);
    out.push(dev === null ? 1 : 0, dev === null ? 0 : dev);
    return out;
  }

  function compareArrays(a, b) {
    for (var i = 0; i < Math.min(a.length, b.length); i++) {
      if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
    }
    return a.length === b.length ? 0 : (a.length < b.length ? -1 : 1);
  }

  function compareLocal(a, b) {
    if (a === null || b === null) return a === b ? 0 : (a === null ? -1 : 1);
    for (var i = 0; i < Math.min(a.length, b.length); i++) {
      var x = a[i], y = b[i];
      if (x === y) continue;
      var xn = typeof x === "number", yn = typeof y === "number";
      if (xn !== yn) return xn ? 1 : -1; // a number part sorts after a text part
      return x < y ? -1 : 1;
    }
    return a.length === b.length ? 0 : (a.length < b.length ? -1 : 1);
  }

  function compare(a, b, withLocal) {
    var c = compareArrays(key(a), key(b));
    return c !== 0 || !withLocal ? c : compareLocal(a[6], b[6]);
  }

  function isPre(v) { return v[3] !== null || v[5] !== null; }
  function sameBase(a, b) { return a[1] === b[1] && compareArrays(trimmed(a[2]), trimmed(b[2])) === 0; }

  function prefixMatch(v, spec) { // ==spec.* : epoch and the release padded with zeros
    if (v[1] !== spec[1]) return false;
    for (var i = 0; i < spec[2].length; i++) {
      if ((i < v[2].length ? v[2][i] : 0) !== spec[2][i]) return false;
    }
    return true;
  }

  function equal(v, spec) { return compare(v, spec, spec[6] !== null) === 0; }

  // One specifier; the pre-release rule is applied for the whole set before this.
  function matches(op, text, spec, v) {
    switch (op) {
      case "===": return v[0].toLowerCase() === text.toLowerCase();
      case "==": return text.slice(-2) === ".*" ? prefixMatch(v, spec) : equal(v, spec);
      case "!=": return text.slice(-2) === ".*" ? !prefixMatch(v, spec) : !equal(v, spec);
      case "<=": return compare(v, spec, false) <= 0;
      case ">=": return compare(v, spec, false) >= 0;
      case "~=":
        return compare(v, spec, false) >= 0 && prefixMatch(v, [null, spec[1], spec[2].slice(0, -1)]);
      case "<":
        if (compare(v, spec, true) >= 0) return false;
        if (!sameBase(v, spec) || spec[3] !== null || spec[5] !== null) return true;
        return spec[4] !== null && !isPre(v); // <V excludes V's pre-releases (and V itself) unless V is one
      case ">":
        if (compare(v, spec, true) <= 0) return false;
        if (!sameBase(v, spec)) return true;
        if (v[6] !== null) return false; // >V excludes V's local versions
        if (spec[5] !== null || spec[4] !== null) return true;
        return JSON.stringify(v[3]) !== JSON.stringify(spec[3]); // and V's post-releases
    }
    return false;
  }

  // SPEC parsing, as venvbuild.query.spec ------------------------------------------------------------
  function normalise(name) { return name.toLowerCase().replace(/[-_.]+/g, "-"); }

  function parseSpec(text, pre) {
    var m = NAME.exec(text.trim());
    var bad = "SPEC '" + text + "' is not a package name with an optional version specifier";
    if (!m) throw new Error(bad);
    var rest = m[2].trim();
    if (/^\[/.test(rest)) throw new Error("SPEC '" + text + "' has extras; give a package name and optional version specifier only");
    if (/^@/.test(rest)) throw new Error("SPEC '" + text + "' has a URL; give a package name and optional version specifier only");
    if (/^;/.test(rest)) throw new Error("SPEC '" + text + "' has an environment marker; give a package name and optional version specifier only");
    if (/^\(.*\)$/.test(rest)) rest = rest.slice(1, -1).trim();
    var specifiers = [];
    if (rest !== "") {
      rest.split(",").forEach(function (item) {
        var s = /^\s*(~=|===|==|!=|<=|>=|<|>)\s*(.*?)\s*$/.exec(item);
        if (!s) throw new Error(bad);
        var op = s[1], version = s[2];
        var grammar = op === "===" ? "arbitrary" : (op === "==" || op === "!=") ? "eq" : op === "~=" ? "compatible" : "ordered";
        if (!SPEC_VERSION[grammar].test(version)) throw new Error(bad);
        var parsed = parseVersion(version.replace(/\.\*$/, ""));
        specifiers.push({ op: op, text: version, parsed: parsed });
      });
    }
    return { text: text, name: normalise(m[1]), specifiers: specifiers, pre: pre };
  }

  function impliesPre(s) { // packaging's Specifier.prereleases
    if (s.op === "!=" || (s.op === "==" && s.text.slice(-2) === ".*")) return false;
    return s.parsed !== null && isPre(s.parsed);
  }

  function accepts(spec, v) {
    if (spec.specifiers.length === 0) return true;
    if (v === null) return false;
    var pre = spec.pre || spec.specifiers.some(impliesPre);
    if (!pre && isPre(v)) return false;
    return spec.specifiers.every(function (s) {
      return s.op === "===" ? matches(s.op, s.text, null, v) : matches(s.op, s.text, s.parsed, v);
    });
  }

  // Several SPECs in the box: words joined when a specifier continues them ("pandas >= 1.5, <2 kedro").
  function splitSpecs(text) {
    var words = text.trim().split(/\s+/).filter(Boolean), specs = [];
    words.forEach(function (word) {
      var last = specs.length - 1;
      if (last >= 0 && (/^[<>=!~,(@;[]/.test(word) || /[<>=!~,(@;]$/.test(specs[last]))) specs[last] += " " + word;
      else specs.push(word);
    });
    return specs;
  }

  function parseAll(text, pre) { // one name given twice is one spec with both specifiers
    var byName = {}, order = [];
    splitSpecs(text).forEach(function (word) {
      var spec = parseSpec(word, pre);
      if (byName[spec.name]) {
        byName[spec.name].specifiers = byName[spec.name].specifiers.concat(spec.specifiers);
        byName[spec.name].text += " " + word;
      } else {
        byName[spec.name] = spec;
        order.push(spec.name);
      }
    });
    return order.map(function (name) { return byName[name]; });
  }

  // Search: [[build index, [matching pins]]], newest first.
  function search(specs, filters) {
    var hits = null;
    specs.forEach(function (spec) {
      var entry = packages[spec.name], found = {};
      if (entry) {
        entry.v.forEach(function (pair, position) {
          if (!accepts(spec, pair[1])) return;
          entry.b[position].forEach(function (b) { (found[b] = found[b] || []).push(pair[0]); });
        });
      }
      if (hits === null) hits = found;
      else {
        var both = {};
        Object.keys(hits).forEach(function (b) { if (found[b]) both[b] = hits[b].concat(found[b]); });
        hits = both;
      }
    });
    var out = [];
    for (var i = 0; i < builds.length; i++) {
      if (hits !== null && !hits[i]) continue;
      var b = builds[i];
      if (filters.env && b[1] !== filters.env) continue;
      if (filters.python && b[2] !== filters.python) continue;
      if (filters.conflictFree && b[4] !== true) continue;
      if (filters.since && b[3].slice(0, 10) < filters.since) continue;
      out.push([i, hits === null ? [] : hits[i]]);
    }
    return out;
  }

  // The page ------------------------------------------------------------------------------------------
  function $(id) { return document.getElementById(id); }
  var shown = [], count = 0;

  function cell(row, text, href) {
    var td = document.createElement("td");
    if (href) {
      var a = document.createElement("a");
      a.href = href;
      a.textContent = text;
      td.appendChild(a);
    } else td.textContent = text;
    row.appendChild(td);
    return td;
  }

  function renderMore() {
    var body = $("builds").tBodies[0], fragment = document.createDocumentFragment();
    shown.slice(count, count + PAGE).forEach(function (hit) {
      var b = builds[hit[0]], tr = document.createElement("tr");
      cell(tr, b[0], "builds/" + b[0] + ".html");
      cell(tr, b[1]);
      cell(tr, b[3]);
      cell(tr, b[2]);
      var td = cell(tr, "");
      hit[1].forEach(function (pin, n) {
        if (n) td.appendChild(document.createTextNode(" "));
        var a = document.createElement("a");
        a.href = "packages/" + normalise(pin.split("==")[0]) + ".html";
        a.textContent = pin;
        td.appendChild(a);
      });
      cell(tr, b[4] === true ? "yes" : b[4] === false ? "no" : "?");
      fragment.appendChild(tr);
    });
    body.appendChild(fragment);
    count = Math.min(count + PAGE, shown.length);
    $("more").hidden = count >= shown.length;
  }

  function update() {
    var query = $("q").value, error = $("error");
    var filters = { env: $("env").value, python: $("python").value, conflictFree: $("conflict-free").checked,
                    since: $("since").value };
    var specs;
    try {
      specs = parseAll(query, $("pre").checked);
      error.hidden = true;
    } catch (e) {
      error.textContent = e.message;
      error.hidden = false;
      return;
    }
    shown = search(specs, filters);
    count = 0;
    $("builds").tBodies[0].textContent = "";
    renderMore();
    $("status").textContent = shown.length + " of " + builds.length + " build(s)" +
      (specs.length ? " match " + specs.map(function (s) { return s.text; }).join(" ") : "");
    var state = new URLSearchParams();
    if (query) state.set("q", query);
    history.replaceState(null, "", state.toString() ? "#" + state.toString() : location.pathname);
  }

  function options(select, values) {
    values.forEach(function (value) {
      var option = document.createElement("option");
      option.value = option.textContent = value;
      select.appendChild(option);
    });
  }

  function distinct(column) {
    var seen = {};
    builds.forEach(function (b) { seen[b[column]] = true; });
    return Object.keys(seen).sort();
  }

  options($("env"), distinct(1));
  options($("python"), distinct(2).sort(function (a, b) { return compareArrays(a.split(".").map(Number), b.split(".").map(Number)); }));
  var initial = new URLSearchParams(location.hash.slice(1)).get("q");
  if (initial) $("q").value = initial;
  ["q", "env", "python", "conflict-free", "since", "pre"].forEach(function (id) {
    $(id).addEventListener(id === "q" ? "input" : "change", update);
  });
  $("more").addEventListener("click", renderMore);
  $("filters").addEventListener("submit", function (e) { e.preventDefault(); }); // Enter searches in place
  update();
  window.venvbuildCatalogReady = performance.now();
})();
