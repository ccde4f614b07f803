// Result views for the query page, drawn offline in the browser (no library, no network
// beyond this server's endpoint): a timeline of dated rows, a bar chart of counts, and a
// network of a result's IRIs with the facts between them. Each is a YASR plugin; untrusted
// text only ever reaches the page through textContent and setAttribute.
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";
  var XSD = "http://www.w3.org/2001/XMLSchema#";
  var DATE_TYPES = ["date", "dateTime", "gYear", "gYearMonth"].map(function (t) { return XSD + t; });
  var NUMBER_TYPES = ["integer", "decimal", "double", "float", "int", "long", "nonNegativeInteger",
    "positiveInteger", "short"].map(function (t) { return XSD + t; });
  var kz = window.kzgraphPages = window.kzgraphPages || {};

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) { node.textContent = text; }
    return node;
  }
  function svgEl(tag, attrs) {
    var node = document.createElementNS(SVG, tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    return node;
  }
  // Plugin icons as small inline drawings (the page's fonts may lack symbol glyphs).
  var ICONS = {
    timeline: "M3 8h18M7 4v8M12 6v4M17 4v8M5 16h6M13 16h6",
    chart: "M4 20V10M10 20V4M16 20v-7M2 20h20",
    network: "M6 6l12 4M6 6l4 12M18 10l-8 8M6 6m-2.5 0a2.5 2.5 0 1 0 5 0a2.5 2.5 0 1 0 -5 0"
  };
  function icon(name) {
    var svg = svgEl("svg", { viewBox: "0 0 24 24", width: "16", height: "16", "class": "kz-plugin-icon", "aria-hidden": "true" });
    svg.appendChild(svgEl("path", { d: ICONS[name], fill: "none", stroke: "currentColor", "stroke-width": "2" }));
    return svg;
  }
  // A cell as a reader sees it: an IRI as a local link with its short name, a literal as text.
  function cell(binding, text) {
    if (!binding) { return el("span", {}, ""); }
    if (binding.type === "uri") {
      return el("a", { href: kz.localHref(binding.value), title: binding.value }, text || kz.shortName(binding.value));
    }
    return el("span", {}, binding.value);
  }
  // ?x and ?xLabel in one row read as one link named by the label
  function labelled(vars) {
    var pairs = {};
    vars.forEach(function (v) { if (vars.indexOf(v + "Label") >= 0) { pairs[v] = v + "Label"; } });
    return pairs;
  }
  function columnOf(results, types) {
    var vars = results.getVariables();
    var rows = results.getBindings();
    for (var i = 0; i < vars.length; i++) {
      var v = vars[i];
      if (rows.some(function (r) { return r[v] && r[v].type !== "uri" && types.indexOf(r[v].datatype) >= 0; })) { return v; }
    }
    return null;
  }
  function emptyNote(parent, text) { parent.appendChild(el("p", { "class": "kz-view-empty" }, text)); }

  // -- Timeline --
  function Timeline(yasr) { this.yasr = yasr; this.priority = 5; this.label = "Timeline"; }
  Timeline.prototype.canHandleResults = function () {
    var r = this.yasr.results;
    return !!(r && r.getBindings && r.getVariables && r.getBindings().length && columnOf(r, DATE_TYPES));
  };
  Timeline.prototype.getIcon = function () { return icon("timeline"); };
  Timeline.prototype.draw = function () {
    var results = this.yasr.results;
    var dateVar = columnOf(results, DATE_TYPES);
    var pairs = labelled(results.getVariables());
    var labelVars = Object.keys(pairs).map(function (v) { return pairs[v]; });
    var others = results.getVariables().filter(function (v) { return v !== dateVar && labelVars.indexOf(v) < 0; });
    var rows = results.getBindings().filter(function (r) { return r[dateVar]; });
    rows.sort(function (a, b) { return a[dateVar].value < b[dateVar].value ? -1 : a[dateVar].value > b[dateVar].value ? 1 : 0; });
    var wrap = el("div", { "class": "kz-timeline", id: "kz-timeline" });
    wrap.appendChild(el("p", { "class": "kz-view-caption" }, rows.length + " dated rows, by ?" + dateVar));
    var list = el("ol", { "class": "kz-timeline-list" });
    rows.forEach(function (r) {
      var li = el("li", { "class": "kz-timeline-item" });
      li.appendChild(el("time", { "class": "kz-date", datetime: r[dateVar].value }, r[dateVar].value));
      var body = el("div", { "class": "kz-timeline-body" });
      others.forEach(function (v) {
        if (!r[v]) { return; }
        var part = el("span", { "class": "kz-field" });
        part.appendChild(el("span", { "class": "kz-var" }, v));
        part.appendChild(cell(r[v], pairs[v] && r[pairs[v]] ? r[pairs[v]].value : null));
        body.appendChild(part);
      });
      li.appendChild(body);
      list.appendChild(li);
    });
    wrap.appendChild(list);
    this.yasr.resultsEl.appendChild(wrap);
  };

  // -- Bar chart --
  function Chart(yasr) { this.yasr = yasr; this.priority = 4; this.label = "Chart"; }
  Chart.prototype.canHandleResults = function () {
    var r = this.yasr.results;
    return !!(r && r.getBindings && r.getVariables && r.getBindings().length && columnOf(r, NUMBER_TYPES));
  };
  Chart.prototype.getIcon = function () { return icon("chart"); };
  Chart.prototype.draw = function () {
    var results = this.yasr.results;
    var numVar = columnOf(results, NUMBER_TYPES);
    var vars = results.getVariables();
    var rows = results.getBindings().filter(function (r) { return r[numVar] && isFinite(Number(r[numVar].value)); });
    var labelVar = vars.filter(function (v) {
      return v !== numVar && rows.some(function (r) { return r[v] && r[v].type !== "uri"; });
    })[0] || vars.filter(function (v) { return v !== numVar; })[0];
    var max = Math.max.apply(null, rows.map(function (r) { return Number(r[numVar].value); }).concat([0]));
    var wrap = el("div", { "class": "kz-chart", id: "kz-chart" });
    wrap.appendChild(el("p", { "class": "kz-view-caption" }, "?" + numVar + (labelVar ? " by ?" + labelVar : "")));
    rows.slice(0, 200).forEach(function (r) {
      var row = el("div", { "class": "kz-bar-row" });
      var label = el("div", { "class": "kz-bar-label" });
      label.appendChild(labelVar && r[labelVar] ? cell(r[labelVar]) : el("span", {}, "(none)"));
      row.appendChild(label);
      var track = el("div", { "class": "kz-bar-track" });
      var value = Number(r[numVar].value);
      var bar = el("div", { "class": "kz-bar" });
      bar.style.width = (max > 0 ? Math.max(0.5, 100 * value / max) : 0) + "%";
      track.appendChild(bar);
      track.appendChild(el("span", { "class": "kz-bar-value" }, value.toLocaleString("en")));
      row.appendChild(track);
      wrap.appendChild(row);
    });
    this.yasr.resultsEl.appendChild(wrap);
  };

  // -- Network --
  var MAX_NODES = 120;
  kz.resultIris = function (results) {
    var seen = {};
    var order = [];
    results.getBindings().forEach(function (r) {
      results.getVariables().forEach(function (v) {
        if (r[v] && r[v].type === "uri" && !seen[r[v].value]) { seen[r[v].value] = true; order.push(r[v].value); }
      });
    });
    return order.slice(0, MAX_NODES);
  };
  function values(iris) { return iris.map(function (i) { return "<" + i.replace(/[<>"{}|^`\\\s]/g, "") + ">"; }).join(" "); }
  // For the network view: the IRIs, the facts between them and their other links to things
  kz.networkQuery = function (iris) {
    return "CONSTRUCT { ?s ?p ?o } WHERE { VALUES ?s { " + values(iris) + " } ?s ?p ?o " +
      "FILTER(isIRI(?o) && ?p != <http://www.w3.org/1999/02/22-rdf-syntax-ns#type>) }";
  };
  function ask(query) {
    var body = new URLSearchParams();
    body.set("query", query);
    return fetch(kz.endpoint, {
      method: "POST",
      headers: { Accept: "application/sparql-results+json" },
      body: body
    }).then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.json(); });
  }
  function layout(nodes, edges, width, height) {
    var n = nodes.length;
    nodes.forEach(function (node, i) {
      var angle = 2 * Math.PI * i / Math.max(1, n);
      node.x = width / 2 + (width / 3) * Math.cos(angle);
      node.y = height / 2 + (height / 3) * Math.sin(angle);
    });
    var k = Math.sqrt(width * height / Math.max(1, n)) * 0.6;
    for (var step = 0; step < 250; step++) {
      var t = 1 - step / 250;
      nodes.forEach(function (a) { a.dx = 0; a.dy = 0; });
      for (var i = 0; i < n; i++) {
        for (var j = i + 1; j < n; j++) {
          var a = nodes[i], b = nodes[j];
          var dx = a.x - b.x, dy = a.y - b.y;
          var d = Math.max(1, Math.sqrt(dx * dx + dy * dy));
          var f = k * k / d;
          a.dx += dx / d * f; a.dy += dy / d * f; b.dx -= dx / d * f; b.dy -= dy / d * f;
        }
      }
      edges.forEach(function (e) {
        var dx = e.source.x - e.target.x, dy = e.source.y - e.target.y;
        var d = Math.max(1, Math.sqrt(dx * dx + dy * dy));
        var f = d * d / k;
        e.source.dx -= dx / d * f; e.source.dy -= dy / d * f; e.target.dx += dx / d * f; e.target.dy += dy / d * f;
      });
      nodes.forEach(function (a) {
        a.dx += (width / 2 - a.x) * 0.02; a.dy += (height / 2 - a.y) * 0.02;
        var d = Math.max(1, Math.sqrt(a.dx * a.dx + a.dy * a.dy));
        var limit = 12 * t + 0.5;
        a.x = Math.min(width - 20, Math.max(20, a.x + a.dx / d * Math.min(d, limit)));
        a.y = Math.min(height - 20, Math.max(20, a.y + a.dy / d * Math.min(d, limit)));
      });
    }
  }
  function Network(yasr) { this.yasr = yasr; this.priority = 3; this.label = "Network"; }
  Network.prototype.canHandleResults = function () {
    var r = this.yasr.results;
    return !!(r && r.getBindings && r.getVariables && r.getBindings().length && kz.resultIris(r).length >= 1);
  };
  Network.prototype.getIcon = function () { return icon("network"); };
  Network.prototype.draw = function () {
    var results = this.yasr.results;
    var wrap = el("div", { "class": "kz-network", id: "kz-network" });
    var caption = el("p", { "class": "kz-view-caption" }, "Reading the facts between the result's IRIs…");
    wrap.appendChild(caption);
    this.yasr.resultsEl.appendChild(wrap);
    var iris = kz.resultIris(results);
    var inResult = {};
    iris.forEach(function (iri) { inResult[iri] = true; });
    var rows = results.getBindings();
    var vars = results.getVariables();
    function labelsQuery(list) {
      return "SELECT ?x ?label WHERE { VALUES ?x { " + values(list) + " } ?x <http://www.w3.org/2000/01/rdf-schema#label> ?label FILTER(LANG(?label) = \"en\" || LANG(?label) = \"\") }";
    }
    var factsQuery = "SELECT ?s ?p ?o WHERE { VALUES ?s { " + values(iris) + " } VALUES ?o { " + values(iris) + " } ?s ?p ?o }";
    // no fact between them: draw what they link to instead (one step out)
    var outQuery = "SELECT ?s ?p ?o WHERE { VALUES ?s { " + values(iris) + " } ?s ?p ?o FILTER(isIRI(?o) && ?p != <http://www.w3.org/1999/02/22-rdf-syntax-ns#type>) } LIMIT 300";
    var widened = false;
    return ask(factsQuery).then(function (facts) {
      if (facts.results.bindings.length) { return facts; }
      widened = true;
      return ask(outQuery);
    }).then(function (facts) {
      facts.results.bindings.forEach(function (b) {
        if (iris.indexOf(b.o.value) < 0 && iris.length < MAX_NODES * 2) { iris.push(b.o.value); }
      });
      return Promise.all([facts, ask(labelsQuery(iris))]);
    }).then(function (answers) {
      var labels = {};
      answers[1].results.bindings.forEach(function (b) { labels[b.x.value] = b.label.value; });
      var nodes = iris.map(function (iri) { return { id: iri, label: labels[iri] || kz.shortName(iri) }; });
      var byId = {};
      nodes.forEach(function (node) { byId[node.id] = node; });
      var edges = [];
      var linked = {};
      answers[0].results.bindings.forEach(function (b) {
        if (b.s.value === b.o.value || !byId[b.s.value] || !byId[b.o.value]) { return; }
        edges.push({ source: byId[b.s.value], target: byId[b.o.value], label: kz.shortName(b.p.value), fact: true });
        linked[b.s.value + " " + b.o.value] = linked[b.o.value + " " + b.s.value] = true;
      });
      // IRIs in one row with no fact between them are still drawn together, dashed
      rows.forEach(function (r) {
        var inRow = vars.filter(function (v) { return r[v] && r[v].type === "uri" && byId[r[v].value]; });
        for (var i = 1; i < inRow.length; i++) {
          var a = r[inRow[0]].value, b = r[inRow[i]].value;
          if (a !== b && !linked[a + " " + b]) {
            edges.push({ source: byId[a], target: byId[b], label: "?" + inRow[0] + " – ?" + inRow[i], fact: false });
            linked[a + " " + b] = linked[b + " " + a] = true;
          }
        }
      });
      var facts = edges.filter(function (e) { return e.fact; }).length;
      var first = results.getBindings().length ? kz.resultIris(results).length : 0;
      caption.textContent = (widened
        ? first + " IRIs from the result (no fact links them directly) and " + (nodes.length - first) + " things they link to, " + facts + " facts"
        : nodes.length + " IRIs from the result, " + facts + " facts between them") +
        (edges.length > facts ? "; dashed lines join IRIs of one row" : "") + ". Click a node for its page.";
      var width = 900, height = Math.max(360, Math.min(900, 120 + nodes.length * 14));
      layout(nodes, edges, width, height);
      var svg = svgEl("svg", { viewBox: "0 0 " + width + " " + height, "class": "kz-network-svg", role: "img" });
      svg.appendChild(svgEl("title")).textContent = "Network of the result";
      edges.forEach(function (e) {
        var line = svgEl("line", { x1: e.source.x, y1: e.source.y, x2: e.target.x, y2: e.target.y, "class": e.fact ? "kz-edge" : "kz-edge kz-row-edge" });
        line.appendChild(svgEl("title")).textContent = e.label;
        svg.appendChild(line);
        if (e.fact) {
          var text = svgEl("text", { x: (e.source.x + e.target.x) / 2, y: (e.source.y + e.target.y) / 2, "class": "kz-edge-label" });
          text.textContent = e.label;
          svg.appendChild(text);
        }
      });
      nodes.forEach(function (node) {
        var link = svgEl("a", { href: kz.localHref(node.id), "class": inResult[node.id] ? "kz-node" : "kz-node kz-node-linked" });
        link.appendChild(svgEl("circle", { cx: node.x, cy: node.y, r: 7 }));
        var text = svgEl("text", { x: node.x + 10, y: node.y + 4 });
        text.textContent = node.label.length > 40 ? node.label.slice(0, 39) + "…" : node.label;
        link.appendChild(text);
        link.appendChild(svgEl("title")).textContent = node.label + " (" + node.id + ")";
        svg.appendChild(link);
      });
      wrap.appendChild(svg);
    }).catch(function (err) {
      caption.textContent = "Could not read the facts between the result's IRIs: " + err.message;
    });
  };

  kz.registerViews = function (Yasr) {
    Yasr.registerPlugin("timeline", Timeline);
    Yasr.registerPlugin("chart", Chart);
    Yasr.registerPlugin("network", Network);
  };
})();
