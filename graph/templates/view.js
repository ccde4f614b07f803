/* kzgraph network view.
 *
 * Everything shown is built as DOM from the page's data (textContent, never innerHTML), so a
 * label or a quote holding markup is displayed as text and never runs. Links are only followed
 * for http(s) and relative addresses. window.kzView exposes the state for tests and embedders.
 */
(function () {
  "use strict";

  var meta = JSON.parse(document.getElementById("kz-meta").textContent);
  var evidence = meta.evidence || [];
  var byId = new Map();
  KZ_NODES.forEach(function (n) { byId.set(n.id, n); });
  var edgeById = new Map();
  KZ_EDGES.forEach(function (e) { edgeById.set(e.id, e); });

  var state = {
    hiddenKinds: new Set(),
    hiddenPredicates: new Set(),
    dateLimit: null, // "YYYY-MM-DD": nodes dated later are hidden
    ready: false,
    readyAt: null,
    selected: null,
    focused: null // the node the camera last finished moving to
  };

  // -- Safe DOM helpers --

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (key) {
        if (key === "text") { node.textContent = attrs[key]; }
        else if (key === "className") { node.className = attrs[key]; }
        else { node.setAttribute(key, attrs[key]); }
      });
    }
    (children || []).forEach(function (child) {
      if (child === null || child === undefined) { return; }
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function safeHref(url) {
    if (typeof url !== "string") { return null; }
    return /^(https?:\/\/|\/|\.\/)/i.test(url) ? url : null;
  }

  function link(text, url) {
    var href = safeHref(url);
    if (!href) { return null; }
    return el("a", { href: href, target: "_blank", rel: "noopener noreferrer", text: text });
  }

  function clear(node) {
    while (node.firstChild) { node.removeChild(node.firstChild); }
  }

  // -- Tooltips: DOM elements, so vis-network shows them as built, never parses markup --

  function nodeTip(n) {
    var kz = n.kz;
    var parts = [el("strong", { text: kz.label }), el("span", { text: kz.kind })];
    if (kz.dates.length) {
      parts.push(el("div", { text: kz.dates.map(function (d) { return d.label + ": " + d.value; }).join("; ") }));
    }
    if (kz.desc) {
      parts.push(el("div", { text: kz.desc.length > 220 ? kz.desc.slice(0, 219) + "…" : kz.desc }));
    }
    var first = kz.ev.length ? evidence[kz.ev[0]] : null;
    if (first && first.quote) {
      parts.push(el("div", { text: "“" + first.quote + "”" }));
    }
    if (kz.ev.length) {
      parts.push(el("span", { text: kz.ev.length + (kz.ev.length === 1 ? " source" : " sources") + " — click for details" }));
    }
    return el("div", { className: "kz-tip" }, parts);
  }

  function edgeTip(e) {
    var from = byId.get(e.from), to = byId.get(e.to);
    var parts = [el("strong", { text: from.kz.label + " —" + e.kz.label + "→ " + to.kz.label })];
    if (e.kz.ev.length) {
      parts.push(el("span", { text: e.kz.ev.length + (e.kz.ev.length === 1 ? " source" : " sources") + " — click for details" }));
    }
    return el("div", { className: "kz-tip" }, parts);
  }

  KZ_NODES.forEach(function (n) { n.title = nodeTip(n); });
  KZ_EDGES.forEach(function (e) { e.title = edgeTip(e); });

  // -- Data, filters and the network --

  function nodeShown(n) {
    if (!n) { return false; }
    if (state.hiddenKinds.has(n.kz.kind)) { return false; }
    if (state.dateLimit && n.kz.date && n.kz.date > state.dateLimit) { return false; }
    return true;
  }

  function edgeShown(e) {
    return !state.hiddenPredicates.has(e.kz.p) && nodeShown(byId.get(e.from)) && nodeShown(byId.get(e.to));
  }

  var nodes = new vis.DataSet(KZ_NODES);
  var edges = new vis.DataSet(KZ_EDGES);
  var nodeView = new vis.DataView(nodes, { filter: nodeShown });
  var edgeView = new vis.DataView(edges, { filter: edgeShown });
  var container = document.getElementById("kz-network");
  var loading = document.getElementById("kz-loading");
  var status = document.getElementById("kz-status");

  document.title = meta.title;
  document.getElementById("kz-title").textContent = meta.title;

  if (meta.physics && KZ_NODES.length > 1) {
    loading.hidden = false;
  }
  var network = new vis.Network(container, { nodes: nodeView, edges: edgeView }, KZ_OPTIONS);

  function markReady() {
    if (state.ready) { return; }
    state.ready = true;
    state.readyAt = performance.now();
    loading.hidden = true;
    document.documentElement.setAttribute("data-kz-ready", "true");
    if (meta.focus && byId.has(meta.focus)) { select(meta.focus, false); }
  }

  if (meta.physics) {
    network.on("stabilizationProgress", function (p) {
      document.getElementById("kz-loading-text").textContent =
        "Laying out the graph… " + Math.round(100 * p.iterations / p.total) + "%";
    });
    network.once("stabilizationIterationsDone", function () {
      // settle once, then stop: dragging a node afterwards moves only that node
      network.setOptions({ physics: { enabled: false } });
      network.fit();
      network.once("afterDrawing", markReady);
      network.redraw();
    });
  } else {
    network.once("afterDrawing", markReady);
  }
  if (KZ_NODES.length === 0) { markReady(); }

  function updateStatus(message) {
    var text = "Showing " + nodeView.length + " of " + KZ_NODES.length + " nodes and " +
      edgeView.length + " of " + KZ_EDGES.length + " edges";
    status.textContent = message ? message + " · " + text : text;
  }

  function refresh() {
    nodeView.refresh();
    edgeView.refresh();
    if (state.selected && !nodeView.get(state.selected)) { showHint(); }
    updateStatus();
  }

  // -- Details panel --

  var details = document.getElementById("kz-details");

  function showHint() {
    state.selected = null;
    clear(details);
    details.appendChild(el("p", { className: "kz-hint", text: "Click a node or an edge to see its details and sources." }));
  }

  function evidenceList(indices) {
    if (!indices.length) {
      return el("p", { className: "kz-hint", text: "No evidence passage recorded." });
    }
    return el("div", null, indices.map(function (i) {
      var ev = evidence[i];
      var who = [ev.claimant, ev.mode ? "(" + ev.mode + ")" : null].filter(Boolean).join(" ");
      var where = (ev.source ? "“" + ev.source + "”" : ev.name) + (ev.paragraph !== null ? " ¶" + ev.paragraph : "");
      return el("div", { className: "kz-evidence" }, [
        ev.quote ? el("blockquote", { text: ev.quote }) : null,
        el("p", { text: "— " + (who ? who + ", " : "") + where }),
        ev.note ? el("p", { className: "kz-note", text: "Note: " + ev.note }) : null,
        el("p", { className: "kz-name", text: ev.name })
      ]);
    }));
  }

  function entityButton(id) {
    var n = byId.get(id);
    var button = el("button", { type: "button", className: "kz-link-button", text: n.kz.label });
    button.addEventListener("click", function () { select(id, true); });
    return button;
  }

  function showNode(id) {
    var kz = byId.get(id).kz;
    clear(details);
    details.appendChild(el("h3", { text: kz.label }));
    details.appendChild(el("p", { className: "kz-kind", text: kz.classes.length ? kz.classes.join(", ") : kz.kind }));
    details.appendChild(el("p", { className: "kz-name", text: kz.name }));
    if (kz.alt.length) { details.appendChild(el("p", { text: "Also: " + kz.alt.join("; ") })); }
    if (kz.desc) { details.appendChild(el("p", { text: kz.desc })); }
    var rows = [];
    kz.dates.forEach(function (d) { rows.push(el("dt", { text: d.label }), el("dd", { text: d.value })); });
    kz.attrs.forEach(function (a) { rows.push(el("dt", { text: a.label }), el("dd", { text: a.value })); });
    if (rows.length) {
      details.appendChild(el("h4", { text: "Key facts" }));
      details.appendChild(el("dl", null, rows));
    }
    var links = [];
    if (kz.href) { links.push(link("Entity page", kz.href)); }
    if (kz.wikidata) { links.push(link("Wikidata", kz.wikidata)); }
    kz.links.forEach(function (x) {
      if (x.iri !== kz.wikidata) { links.push(link(x.label, x.iri)); }
    });
    links = links.filter(Boolean);
    if (links.length) { details.appendChild(el("p", { className: "kz-links" }, links)); }

    var sourceCount = kz.ev.length;
    details.appendChild(el("h4", { text: "Sources (" + sourceCount + ")" }));
    details.appendChild(evidenceList(kz.ev));
    var connected = network.getConnectedEdges(id).map(function (eid) { return edgeById.get(eid); });
    if (connected.length) {
      details.appendChild(el("h4", { text: "Connections (" + connected.length + ")" }));
      details.appendChild(el("ul", null, connected.slice(0, 60).map(function (e) {
        var out = e.from === id;
        var other = out ? e.to : e.from;
        return el("li", null, [out ? "—" + e.kz.label + "→ " : "←" + e.kz.label + "— ", entityButton(other)]);
      })));
    }
  }

  function showEdge(id) {
    var e = edgeById.get(id);
    clear(details);
    details.appendChild(el("h3", null, [entityButton(e.from), " —" + e.kz.label + "→ ", entityButton(e.to)]));
    details.appendChild(el("p", { className: "kz-name", text: e.kz.name }));
    details.appendChild(el("h4", { text: "Sources of this statement (" + e.kz.ev.length + ")" }));
    details.appendChild(evidenceList(e.kz.ev));
  }

  function select(id, move) {
    if (!nodeView.get(id)) {
      updateStatus("“" + byId.get(id).kz.label + "” is hidden by the filters");
      return;
    }
    state.selected = id;
    network.selectNodes([id]);
    if (move) {
      state.focused = null;
      network.once("animationFinished", function () { state.focused = id; });
      network.focus(id, { scale: 1.1, animation: { duration: 400, easingFunction: "easeInOutQuad" } });
    }
    showNode(id);
  }

  network.on("click", function (params) {
    if (params.nodes.length) { select(params.nodes[0], false); }
    else if (params.edges.length) { state.selected = null; showEdge(params.edges[0]); }
    else { showHint(); }
  });

  // -- Search --

  function norm(text) { return String(text).toLowerCase().replace(/’/g, "'").replace(/\s+/g, " ").trim(); }

  function score(name, q) {
    var n = norm(name);
    if (n === q) { return 0; }
    if (n.indexOf(q) === 0) { return 1; }
    var words = n.split(/[^\p{L}\p{N}]+/u);
    if (q.split(" ").every(function (w) { return words.indexOf(w) >= 0; })) { return 2; }
    if (n.indexOf(q) >= 0) { return 3; }
    return null;
  }

  function find(query) {
    var q = norm(query);
    if (!q) { return null; }
    var best = null;
    KZ_NODES.forEach(function (n) {
      [n.kz.label].concat(n.kz.alt).forEach(function (name) {
        var s = score(name, q);
        if (s === null) { return; }
        var key = [s, n.kz.label.length];
        if (!best || key[0] < best.key[0] || (key[0] === best.key[0] && key[1] < best.key[1])) {
          best = { id: n.id, key: key };
        }
      });
    });
    return best ? best.id : null;
  }

  function search(query) {
    var id = find(query);
    if (id === null) {
      updateStatus("Nothing is called “" + query + "”");
      return null;
    }
    select(id, true);
    updateStatus();
    return id;
  }

  var datalist = document.getElementById("kz-labels");
  var seen = new Set();
  KZ_NODES.forEach(function (n) {
    if (!seen.has(n.kz.label)) { seen.add(n.kz.label); datalist.appendChild(el("option", { value: n.kz.label })); }
  });
  document.getElementById("kz-search-form").addEventListener("submit", function (event) {
    event.preventDefault();
    search(document.getElementById("kz-search").value);
  });

  // -- Filters: kinds (the legend), relations, date --

  function checkboxList(listId, items, hidden, labelOf) {
    var list = document.getElementById(listId);
    items.forEach(function (item) {
      var box = el("input", { type: "checkbox", value: item.key });
      box.checked = true;
      box.addEventListener("change", function () {
        if (box.checked) { hidden.delete(item.key); } else { hidden.add(item.key); }
        refresh();
      });
      list.appendChild(el("li", null, [el("label", null, [box].concat(labelOf(item)).concat([el("span", { className: "kz-count", text: String(item.count) })]))]));
    });
  }

  checkboxList("kz-kinds", meta.classes.map(function (c) {
    return { key: c.kind, count: c.count, glyph: c.glyph, color: c.color };
  }), state.hiddenKinds, function (item) {
    var glyph = el("span", { className: "kz-glyph", text: item.glyph, "aria-hidden": "true" });
    glyph.style.color = item.color;
    return [glyph, el("span", { text: item.key })];
  });
  checkboxList("kz-predicates", meta.predicates.map(function (p) {
    return { key: p.p, count: p.count, label: p.label, name: p.name };
  }), state.hiddenPredicates, function (item) {
    return [el("span", { text: item.label, title: item.name })];
  });

  function setAll(listId, hidden, on) {
    document.querySelectorAll("#" + listId + " input").forEach(function (box) {
      box.checked = on;
      if (on) { hidden.delete(box.value); } else { hidden.add(box.value); }
    });
    refresh();
  }
  document.querySelectorAll("[data-all], [data-none]").forEach(function (button) {
    var which = button.getAttribute("data-all") || button.getAttribute("data-none");
    var on = button.hasAttribute("data-all");
    button.addEventListener("click", function () {
      if (which === "kinds") { setAll("kz-kinds", state.hiddenKinds, on); }
      else { setAll("kz-predicates", state.hiddenPredicates, on); }
    });
  });

  var DAY = 86400000;
  function dayOf(iso) { return Math.round(Date.parse(iso + "T00:00:00Z") / DAY); }
  function isoOf(day) { return new Date(day * DAY).toISOString().slice(0, 10); }

  var slider = document.getElementById("kz-date");
  var dateLabel = document.getElementById("kz-date-label");
  function setDate(iso) {
    // null shows everything; otherwise acts, events and posts dated after iso are hidden
    state.dateLimit = iso;
    dateLabel.textContent = iso
      ? iso + ": what is dated later is hidden"
      : "All dates (" + meta.dates.count + " dated items, " + meta.dates.min + " to " + meta.dates.max + ")";
    refresh();
  }
  if (meta.dates) {
    document.getElementById("kz-date-section").hidden = false;
    var first = dayOf(meta.dates.min), last = dayOf(meta.dates.max);
    slider.min = String(first - 1);
    slider.max = String(last);
    slider.value = String(last);
    slider.addEventListener("input", function () {
      var day = Number(slider.value);
      setDate(day >= last ? null : isoOf(day));
    });
    setDate(null);
  }

  updateStatus();

  window.kzView = {
    network: network,
    nodes: nodes,
    edges: edges,
    nodeView: nodeView,
    edgeView: edgeView,
    meta: meta,
    state: state,
    search: search,
    find: find,
    select: select,
    setDate: setDate,
    drawnCounts: function () {
      return { nodes: network.body.nodeIndices.length, edges: network.body.edgeIndices.length };
    }
  };
})();
