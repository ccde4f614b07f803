/* kzgraph network view.
 *
 * Everything shown is built as DOM from the page's data (textContent, never innerHTML), so a
 * label or a quote holding markup is displayed as text and never runs. Links are only followed
 * for http(s) and relative addresses. Filters hide and show nodes in place (vis-network's
 * `hidden`), so nothing moves unless the reader asks (Fit, Reset). Labels are drawn by this
 * script at a constant screen size, most connected first, and only where they do not collide.
 * window.kzView exposes the state for tests and embedders.
 */
(function () {
  "use strict";

  var meta = JSON.parse(document.getElementById("kz-meta").textContent);
  var evidence = meta.evidence || [];
  var byId = new Map();
  KZ_NODES.forEach(function (n) { byId.set(n.id, n); });
  var edgeById = new Map();
  var edgesOf = new Map();
  KZ_NODES.forEach(function (n) { edgesOf.set(n.id, []); });
  KZ_EDGES.forEach(function (e) {
    edgeById.set(e.id, e);
    edgesOf.get(e.from).push(e.id);
    if (e.to !== e.from) { edgesOf.get(e.to).push(e.id); }
  });
  var sourceCount = (meta.sources || []).filter(function (s) { return s.iri; }).length;

  var state = {
    hiddenKinds: new Set(),
    hiddenPredicates: new Set(),
    hiddenClaimants: new Set(), // claimant IRIs ("" = passages without one)
    hiddenSources: new Set(), // source IRIs
    dateLimit: null, // "YYYY-MM-DD": what enters the picture later is hidden
    showUndated: true,
    ready: false,
    readyAt: null,
    selected: null,
    selectedEdge: null,
    hovered: null,
    focused: null, // the node the camera last finished moving to
    cursor: -1, // keyboard position among the nodes shown
    shownNodes: new Set(),
    shownEdges: new Set()
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

  function plural(n, one, many) { return n + " " + (n === 1 ? one : many); }

  // -- Evidence: who says it, where, and how well a fact is supported --

  function evShown(i) {
    var ev = evidence[i];
    return !state.hiddenClaimants.has(ev.claimantIri || "") && !state.hiddenSources.has(ev.sourceIri || "");
  }

  function factShown(indices) {
    return indices.length === 0 || indices.some(evShown);
  }

  function whereText(ev) {
    var where = ev.kind || (ev.source ? "“" + ev.source + "”" : ev.name);
    if (ev.kind && ev.claimant && ev.kind.indexOf(ev.claimant + " ") === 0) {
      where = ev.kind.slice(ev.claimant.length + 1); // "EU Reporter, article ¶7", not "EU Reporter, EU Reporter article"
    }
    return where + (ev.paragraph !== null && ev.paragraph !== undefined ? " ¶" + ev.paragraph : "");
  }

  function statedSources(indices) {
    var set = new Set();
    indices.forEach(function (i) { if (!evidence[i].curated) { set.add(evidence[i].sourceIri || evidence[i].name); } });
    return set.size;
  }

  function supportText(level, indices) {
    if (level === "several") {
      var k = statedSources(indices);
      return k === 2 && sourceCount === 2 ? "stated by both articles" : "stated by " + k + " sources";
    }
    if (level === "one") { return "stated by one article only"; }
    if (level === "curators") { return "the kzgraph curators’ identification only"; }
    return "no passage recorded";
  }

  function badge(level, indices) {
    return el("span", { className: "kz-badge kz-badge-" + level, text: supportText(level, indices) });
  }

  // -- Tooltips: DOM elements, so vis-network shows them as built, never parses markup --

  function nodeTip(n) {
    var kz = n.kz;
    var parts = [el("strong", { text: kz.label }), el("span", { text: kz.kind })];
    if (kz.dates.length) {
      parts.push(el("div", { text: kz.dates.map(function (d) { return d.label + ": " + d.value; }).join("; ") }));
    } else if (!kz.when) {
      parts.push(el("div", { text: "undated" }));
    }
    if (kz.desc) {
      parts.push(el("div", { text: kz.desc.length > 220 ? kz.desc.slice(0, 219) + "…" : kz.desc }));
    }
    var first = kz.ev.length ? evidence[kz.ev[0]] : null;
    if (first && first.quote) {
      parts.push(el("div", { text: "“" + first.quote + "”" }));
    }
    if (kz.ev.length) {
      parts.push(el("span", { text: plural(kz.ev.length, "source", "sources") + " — click for details" }));
    }
    return el("div", { className: "kz-tip" }, parts);
  }

  function edgeTip(e) {
    var from = byId.get(e.from), to = byId.get(e.to);
    var parts = [el("strong", { text: from.kz.label + " —" + e.kz.label + "→ " + to.kz.label })];
    parts.push(el("span", { text: supportText(e.kz.support, e.kz.ev) + " — click for the passages" }));
    return el("div", { className: "kz-tip" }, parts);
  }

  // Tooltips are built when first hovered (vis-network shows them after tooltipDelay), so a
  // page of thousands of nodes does not build thousands of DOM trees before it is drawn.
  var tipped = new Set();
  function addTip(set, id, build) {
    if (id === undefined || id === null || tipped.has(set + id)) { return; }
    tipped.add(set + id);
    (set === "n" ? nodes : edges).update({ id: id, title: build(set === "n" ? byId.get(id) : edgeById.get(id)) });
  }

  // -- Filters decide what is hidden; nothing is removed, so nothing moves --

  function nodeShown(n) {
    if (!n) { return false; }
    if (state.hiddenKinds.has(n.kz.kind)) { return false; }
    if (state.dateLimit) {
      if (n.kz.when ? n.kz.when > state.dateLimit : !state.showUndated) { return false; }
    } else if (!n.kz.when && !state.showUndated) { return false; }
    return factShown(n.kz.ev);
  }

  function edgeShown(e) {
    return !state.hiddenPredicates.has(e.kz.p) && factShown(e.kz.ev) &&
      state.shownNodes.has(e.from) && state.shownNodes.has(e.to);
  }

  var nodes = new vis.DataSet(KZ_NODES);
  var edges = new vis.DataSet(KZ_EDGES);
  var container = document.getElementById("kz-network");
  var loading = document.getElementById("kz-loading");
  var status = document.getElementById("kz-status");
  KZ_NODES.forEach(function (n) { state.shownNodes.add(n.id); });
  KZ_EDGES.forEach(function (e) { state.shownEdges.add(e.id); });

  document.title = meta.title;
  document.getElementById("kz-title").textContent = meta.title;

  if (meta.physics && KZ_NODES.length > 1) {
    loading.hidden = false;
  }
  var network = new vis.Network(container, { nodes: nodes, edges: edges }, KZ_OPTIONS);

  function applyFilters() {
    var nodeChanges = [], edgeChanges = [];
    KZ_NODES.forEach(function (n) {
      var show = nodeShown(n);
      if (show !== state.shownNodes.has(n.id)) {
        if (show) { state.shownNodes.add(n.id); } else { state.shownNodes.delete(n.id); }
        nodeChanges.push({ id: n.id, hidden: !show });
      }
    });
    KZ_EDGES.forEach(function (e) {
      var show = edgeShown(e);
      if (show !== state.shownEdges.has(e.id)) {
        if (show) { state.shownEdges.add(e.id); } else { state.shownEdges.delete(e.id); }
        edgeChanges.push({ id: e.id, hidden: !show });
      }
    });
    if (nodeChanges.length) { nodes.update(nodeChanges); }
    if (edgeChanges.length) { edges.update(edgeChanges); }
    if (state.selected && !state.shownNodes.has(state.selected)) { showHint(); }
    else if (state.selected) { showNode(state.selected); }
    if (state.selectedEdge && !state.shownEdges.has(state.selectedEdge)) { showHint(); }
    updateStatus();
    network.redraw();
  }

  // -- Emphasis: a selection fades what is not connected to it (nothing moves) --

  var opacity = new Map(); // node or edge id -> opacity now drawn (absent: 1)
  var near = null; // the ids kept bright, or null when nothing is selected

  function emphasise(nodeIds, edgeIds) {
    near = nodeIds ? new Set(nodeIds) : null;
    var keepEdges = edgeIds ? new Set(edgeIds) : null;
    var nodeChanges = [], edgeChanges = [];
    KZ_NODES.forEach(function (n) {
      var o = !near || near.has(n.id) ? 1 : 0.2;
      if ((opacity.get(n.id) || 1) !== o) { opacity.set(n.id, o); nodeChanges.push({ id: n.id, opacity: o }); }
    });
    KZ_EDGES.forEach(function (e) {
      var o = !keepEdges || keepEdges.has(e.id) ? 1 : 0.12;
      if ((opacity.get(e.id) || 1) !== o) {
        opacity.set(e.id, o);
        edgeChanges.push({ id: e.id, color: { color: e.color.color, opacity: o } });
      }
    });
    if (nodeChanges.length) { nodes.update(nodeChanges); }
    if (edgeChanges.length) { edges.update(edgeChanges); }
  }

  function emphasiseNode(id) {
    var around = [id], incident = edgesOf.get(id).slice();
    incident.forEach(function (eid) { var e = edgeById.get(eid); around.push(e.from, e.to); });
    emphasise(around, incident);
  }

  // -- Labels: constant on screen, the best connected first, never on top of each other --

  var LABEL_FONT = "12px system-ui, -apple-system, 'Segoe UI', sans-serif";
  var EDGE_FONT = "11px system-ui, -apple-system, 'Segoe UI', sans-serif";
  var byImportance = KZ_NODES.filter(function (n) { return !n.label; }).map(function (n) { return n.id; });
  byImportance.sort(function (a, b) {
    return byId.get(b).kz.degree - byId.get(a).kz.degree || (a < b ? -1 : a > b ? 1 : 0);
  });
  var widths = new Map();
  var labelStats = { drawn: 0, boxes: [] };

  function measure(ctx, text, font) {
    var key = font + "\u0000" + text;
    if (!widths.has(key)) { ctx.font = font; widths.set(key, ctx.measureText(text).width); }
    return widths.get(key);
  }

  function drawLabels(ctx) {
    var body = network.body;
    var scale = network.getScale();
    var t = body.view.translation;
    var ratio = network.canvas.pixelRatio || 1;
    var w = container.clientWidth, h = container.clientHeight;
    var cell = 64, grid = new Map(), boxes = [];

    function fits(x, y, bw, bh) {
      var gx0 = Math.floor(x / cell), gx1 = Math.floor((x + bw) / cell);
      var gy0 = Math.floor(y / cell), gy1 = Math.floor((y + bh) / cell);
      for (var gx = gx0; gx <= gx1; gx++) {
        for (var gy = gy0; gy <= gy1; gy++) {
          var list = grid.get(gx + "," + gy);
          if (!list) { continue; }
          for (var i = 0; i < list.length; i++) {
            var b = list[i];
            if (x < b[0] + b[2] && b[0] < x + bw && y < b[1] + b[3] && b[1] < y + bh) { return false; }
          }
        }
      }
      var box = [x, y, bw, bh];
      for (gx = gx0; gx <= gx1; gx++) {
        for (gy = gy0; gy <= gy1; gy++) {
          var key = gx + "," + gy;
          if (!grid.has(key)) { grid.set(key, []); }
          grid.get(key).push(box);
        }
      }
      boxes.push(box);
      return true;
    }

    ctx.save();
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.textBaseline = "top";
    ctx.lineJoin = "round";

    function text(str, x, y, font, color, bold) {
      ctx.font = bold ? "600 " + font : font;
      ctx.lineWidth = 3;
      ctx.strokeStyle = "rgba(255,255,255,0.92)";
      ctx.strokeText(str, x, y);
      ctx.fillStyle = color;
      ctx.fillText(str, x, y);
    }

    function nodeLabel(id, force) {
      if (!state.shownNodes.has(id)) { return; }
      var node = body.nodes[id];
      var n = byId.get(id);
      if (!node || n.label) { return; }
      var sx = node.x * scale + t.x, sy = node.y * scale + t.y;
      if (sx < -200 || sx > w + 200 || sy < -50 || sy > h + 50) { return; }
      var str = n.kz.short;
      var bw = measure(ctx, str, LABEL_FONT) + (force ? 8 : 4);
      var top = sy + node.options.size * scale + 2;
      if (fits(sx - bw / 2, top, bw, 15) || force) {
        text(str, sx - bw / 2 + 2, top + 1, LABEL_FONT, near && !near.has(id) ? "#b3bac2" : "#1d2733", force);
      }
    }

    function edgeLabel(id) {
      if (!state.shownEdges.has(id)) { return; }
      var edge = body.edges[id];
      if (!edge || !edge.edgeType) { return; }
      var mid = edge.edgeType.getPoint(0.5);
      var sx = mid.x * scale + t.x, sy = mid.y * scale + t.y;
      if (sx < -100 || sx > w + 100 || sy < -20 || sy > h + 20) { return; }
      var str = edgeById.get(id).kz.label;
      var bw = measure(ctx, str, EDGE_FONT) + 4;
      if (fits(sx - bw / 2, sy - 7, bw, 14)) {
        text(str, sx - bw / 2 + 2, sy - 6, EDGE_FONT, "#4a5560", false);
      }
    }

    var first = [];
    if (state.selected) { first.push(state.selected); }
    if (state.hovered && state.hovered !== state.selected) { first.push(state.hovered); }
    first.forEach(function (id) { nodeLabel(id, true); });
    if (state.selected) {
      edgesOf.get(state.selected).forEach(function (eid) {
        var e = edgeById.get(eid);
        nodeLabel(e.from === state.selected ? e.to : e.from, false);
      });
      edgesOf.get(state.selected).forEach(edgeLabel);
    }
    if (state.selectedEdge) { edgeLabel(state.selectedEdge); }
    for (var i = 0; i < byImportance.length; i++) {
      if (first.indexOf(byImportance[i]) < 0) { nodeLabel(byImportance[i], false); }
    }
    if (scale >= 1.1) {
      KZ_EDGES.forEach(function (e) { edgeLabel(e.id); });
    }
    ctx.restore();
    labelStats.drawn = boxes.length;
    labelStats.boxes = boxes;
  }

  network.on("beforeDrawing", function (ctx) {
    // an opaque background, so the saved PNG is the picture as seen
    ctx.save();
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, ctx.canvas.width, ctx.canvas.height);
    ctx.restore();
  });
  network.on("afterDrawing", drawLabels);
  network.on("hoverNode", function (p) { state.hovered = p.node; addTip("n", p.node, nodeTip); });
  network.on("hoverEdge", function (p) { addTip("e", p.edge, edgeTip); });
  network.on("blurNode", function () { state.hovered = null; network.redraw(); });

  // -- Ready: laid out once, then still --

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
      // settle once, then stop: filters and dragging afterwards move nothing else
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
    var text = "Showing " + state.shownNodes.size + " of " + KZ_NODES.length + " nodes and " +
      state.shownEdges.size + " of " + KZ_EDGES.length + " edges";
    status.textContent = message ? message + " · " + text : text;
  }

  // -- Panel tabs (on a phone the panel sits below the picture) --

  var tabs = { details: "kz-details", legend: "kz-legend-panel", filters: "kz-filters-panel" };
  function showTab(name) {
    Object.keys(tabs).forEach(function (key) {
      document.getElementById(tabs[key]).hidden = key !== name;
      document.getElementById("kz-tab-" + key).setAttribute("aria-selected", String(key === name));
    });
    state.tab = name;
  }
  Object.keys(tabs).forEach(function (key) {
    document.getElementById("kz-tab-" + key).addEventListener("click", function () { showTab(key); });
  });

  // -- Details panel --

  var details = document.getElementById("kz-details");

  function showHint() {
    state.selected = null;
    state.selectedEdge = null;
    emphasise(null, null);
    clear(details);
    details.appendChild(el("p", { className: "kz-hint", text: "Click a node or an edge to see its details and sources." }));
  }

  function factText(e) {
    return byId.get(e.from).kz.label + " —" + e.kz.label + "→ " + byId.get(e.to).kz.label;
  }

  /** The text a reader pastes to cite one passage: quote, article, paragraph, IRIs. */
  function citation(i, fact, iris) {
    var ev = evidence[i];
    var lines = [];
    if (ev.quote) { lines.push("“" + ev.quote + "”"); }
    var who = ev.curated ? "kzgraph curators (editorial identification)" : (ev.claimant || "unknown claimant");
    lines.push("— " + who + ", in “" + (ev.source || ev.name) + "”" + (ev.kind ? " (" + ev.kind + ")" : "") +
      (ev.paragraph !== null && ev.paragraph !== undefined ? ", paragraph " + ev.paragraph : ""));
    if (ev.sourceIri) { lines.push("Article: <" + ev.sourceIri + ">"); }
    if (fact) { lines.push("Fact: " + fact); }
    iris.forEach(function (iri) { if (iri) { lines.push("Entity: <" + iri + ">"); } });
    lines.push("Evidence: <" + ev.graph + ">");
    if (ev.note) { lines.push("Curators’ note: " + ev.note); }
    return lines.join("\n");
  }

  function citeBlock(text) {
    var area = el("textarea", { readonly: "readonly", rows: "6", "aria-label": "Citation" });
    area.value = text;
    var copy = el("button", { type: "button", className: "kz-small", text: "Copy" });
    copy.addEventListener("click", function () {
      area.select();
      var done = function () { copy.textContent = "Copied"; };
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(text).then(done, function () {
          if (document.execCommand("copy")) { done(); }
        });
      } else if (document.execCommand("copy")) { done(); }
    });
    return el("div", { className: "kz-cite" }, [area, copy]);
  }

  function evidenceItem(i, context) {
    var ev = evidence[i];
    var who = ev.curated ? "kzgraph curators’ identification" : [ev.claimant, ev.mode ? "(" + ev.mode.toLowerCase() + ")" : null].filter(Boolean).join(" ");
    var line = "— " + (who ? who + ", " : "") + whereText(ev);
    if (context && context.only && !ev.curated) { line += ", the only source"; }
    var cite = el("button", { type: "button", className: "kz-small kz-cite-button", text: "Cite" });
    var box = el("div", { className: "kz-evidence" + (ev.curated ? " kz-curated" : "") }, [
      ev.quote ? el("blockquote", { text: ev.quote }) : null,
      el("p", null, [line + " ", cite]),
      ev.note ? el("p", { className: "kz-note", text: "Note: " + ev.note }) : null,
      el("p", { className: "kz-name", text: ev.name })
    ]);
    var shown = null;
    cite.addEventListener("click", function () {
      if (shown) { shown.remove(); shown = null; return; }
      shown = citeBlock(citation(i, context && context.fact, (context && context.iris) || []));
      box.appendChild(shown);
      shown.querySelector("textarea").select();
    });
    return box;
  }

  function evidenceList(indices, context) {
    var shown = indices.filter(evShown);
    var out = [];
    if (!indices.length) {
      out.push(el("p", { className: "kz-hint", text: "No evidence passage recorded." }));
    }
    var only = statedSources(shown) === 1 && shown.filter(function (i) { return !evidence[i].curated; }).length === 1;
    shown.forEach(function (i) {
      out.push(evidenceItem(i, { only: only, fact: context && context.fact, iris: context && context.iris }));
    });
    if (shown.length < indices.length) {
      out.push(el("p", { className: "kz-hint", text: plural(indices.length - shown.length, "passage", "passages") + " hidden by the claimant or source filters" }));
    }
    return el("div", null, out);
  }

  function entityButton(id) {
    var n = byId.get(id);
    var button = el("button", { type: "button", className: "kz-link-button", text: n.kz.label });
    button.addEventListener("click", function () { select(id, true); });
    return button;
  }

  function sourcesInBrief(indices) {
    return indices.filter(evShown).map(function (i) {
      var ev = evidence[i];
      return (ev.curated ? "kzgraph curators" : ev.claimant || "?") + ", " + whereText(ev);
    }).join("; ");
  }

  function factRows(list, className) {
    var rows = [];
    list.forEach(function (f) {
      var brief = sourcesInBrief(f.ev);
      rows.push(el("dt", { text: f.label, className: className || "" }),
        el("dd", { className: className || "" }, [f.value, brief ? el("div", { className: "kz-name", text: brief }) : null]));
    });
    return rows;
  }

  /** The entity's links out. Issue 16 adds each link's match (exact/close), how it was
   * obtained (verified/reconciled) and when it was last checked, as x.match, x.how, x.checked. */
  function externalLinks(kz) {
    var items = [];
    if (kz.href) { items.push(el("li", null, [link("Entity page", kz.href)])); }
    var seen = new Set();
    kz.links.forEach(function (x) {
      if (seen.has(x.iri)) { return; }
      seen.add(x.iri);
      var a = link(x.iri === kz.wikidata ? "Wikidata" : x.label, x.iri);
      if (!a) { return; }
      var notes = [x.match, x.how, x.checked ? "checked " + x.checked : null].filter(Boolean);
      items.push(el("li", null, [a, notes.length ? " (" + notes.join(", ") + ")" : null]));
    });
    if (!items.length) { return null; }
    return el("section", { className: "kz-links", "data-kz-slot": "external-links" }, [
      el("h4", { text: "Links" }), el("ul", null, items)
    ]);
  }

  function whenLine(kz) {
    if (kz.when && kz.basis === "own") { return null; }
    if (kz.when) { return "In the time line from " + kz.shown + ": " + kz.basis + "."; }
    return "Undated: shown at every date unless “show undated items” is unticked.";
  }

  function showNode(id) {
    var kz = byId.get(id).kz;
    state.selectedEdge = null;
    clear(details);
    details.appendChild(el("h3", { text: kz.label }));
    details.appendChild(el("p", { className: "kz-kind", text: kz.classes.length ? kz.classes.join(", ") : kz.kind }));
    details.appendChild(el("p", { className: "kz-name", text: kz.name }));
    if (kz.alt.length) { details.appendChild(el("p", { text: "Also: " + kz.alt.join("; ") })); }
    if (kz.desc) { details.appendChild(el("p", { text: kz.desc })); }
    var when = whenLine(kz);
    if (when) { details.appendChild(el("p", { className: "kz-when", text: when })); }
    var rows = factRows(kz.dates).concat(factRows(kz.changes, "kz-change")).concat(factRows(kz.attrs));
    if (rows.length) {
      details.appendChild(el("h4", { text: "Key facts" }));
      details.appendChild(el("dl", null, rows));
    }
    var links = externalLinks(kz);
    if (links) { details.appendChild(links); }

    var connected = edgesOf.get(id).filter(function (eid) { return state.shownEdges.has(eid); })
      .map(function (eid) { return edgeById.get(eid); });
    connected.sort(function (a, b) {
      var ao = a.from === id ? 0 : 1, bo = b.from === id ? 0 : 1;
      return ao - bo || (a.kz.label < b.kz.label ? -1 : a.kz.label > b.kz.label ? 1 : 0);
    });
    if (connected.length) {
      details.appendChild(el("h4", { text: "Connections and their sources (" + connected.length + ")" }));
      details.appendChild(el("ul", { className: "kz-connections" }, connected.slice(0, 80).map(function (e) {
        var out = e.from === id;
        var other = out ? e.to : e.from;
        var rel = el("div", { className: "kz-rel" }, [
          el("span", { className: "kz-arrow", text: out ? "—" + e.kz.label + "→ " : "←" + e.kz.label + "— " }),
          entityButton(other), badge(e.kz.support, e.kz.ev)
        ]);
        return el("li", null, [rel, evidenceList(e.kz.ev, { fact: factText(e), iris: [byId.get(e.from).kz.iri, byId.get(e.to).kz.iri] })]);
      })));
      if (connected.length > 80) {
        details.appendChild(el("p", { className: "kz-hint", text: (connected.length - 80) + " more connections: narrow the filters to see them." }));
      }
    }
    if (kz.ev.length) {
      var own = el("details", null, [el("summary", { text: "Passages that describe it (" + kz.ev.length + ")" }),
        evidenceList(kz.ev, { fact: kz.label, iris: [kz.iri] })]);
      details.appendChild(own);
    }
    if (kz.iri) {
      details.appendChild(el("h4", { text: "Cite this entity" }));
      details.appendChild(el("p", { className: "kz-name", text: kz.iri }));
    }
  }

  function showEdge(id) {
    var e = edgeById.get(id);
    state.selected = null;
    state.selectedEdge = id;
    clear(details);
    details.appendChild(el("h3", null, [entityButton(e.from), " —" + e.kz.label + "→ ", entityButton(e.to)]));
    details.appendChild(el("p", null, [badge(e.kz.support, e.kz.ev)]));
    details.appendChild(el("p", { className: "kz-name", text: e.kz.name }));
    details.appendChild(el("h4", { text: "Sources of this statement (" + e.kz.ev.length + ")" }));
    details.appendChild(evidenceList(e.kz.ev, { fact: factText(e), iris: [byId.get(e.from).kz.iri, byId.get(e.to).kz.iri] }));
    emphasise([e.from, e.to], [id]);
    showTab("details");
  }

  /** A scale that centres on the node with all its neighbours shown in the window. */
  function closeUp(id) {
    var at = network.getPositions([id])[id], reach = 0;
    edgesOf.get(id).forEach(function (eid) {
      if (!state.shownEdges.has(eid)) { return; }
      var e = edgeById.get(eid), other = e.from === id ? e.to : e.from;
      var p = network.getPositions([other])[other];
      reach = Math.max(reach, Math.hypot(p.x - at.x, p.y - at.y));
    });
    var fits = reach ? 0.42 * Math.min(container.clientWidth, container.clientHeight) / reach : 1.1;
    return Math.max(0.25, Math.min(1.3, fits));
  }

  function select(id, move) {
    if (!state.shownNodes.has(id)) {
      updateStatus("“" + byId.get(id).kz.label + "” is hidden by the filters");
      return;
    }
    state.selected = id;
    network.selectNodes([id]);
    if (move) {
      state.focused = null;
      network.once("animationFinished", function () { state.focused = id; });
      network.focus(id, { scale: closeUp(id), animation: { duration: 400, easingFunction: "easeInOutQuad" } });
    }
    showNode(id);
    emphasiseNode(id);
    showTab("details");
    network.redraw();
  }

  network.on("click", function (params) {
    if (params.nodes.length) { select(params.nodes[0], false); }
    else if (params.edges.length) { showEdge(params.edges[0]); }
    else { showHint(); }
    network.redraw();
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
    if (state.selected === id) { updateStatus(); }
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

  // -- Legend and filters --

  function countSpan(n) { return el("span", { className: "kz-count", text: String(n) }); }

  function checkbox(value, hidden, onChange) {
    var box = el("input", { type: "checkbox", value: value });
    box.checked = !hidden.has(value);
    box.addEventListener("change", function () {
      if (box.checked) { hidden.delete(value); } else { hidden.add(value); }
      if (onChange) { onChange(); }
      applyFilters();
    });
    return box;
  }

  var kindsList = document.getElementById("kz-kinds");
  (meta.groups || []).forEach(function (g) {
    var glyph = el("span", { className: "kz-glyph", text: g.glyph, "aria-hidden": "true" });
    glyph.style.color = g.color;
    var groupBox = el("input", { type: "checkbox", "data-group": g.group });
    groupBox.checked = true;
    var kindBoxes = [];
    function syncGroup() {
      var on = kindBoxes.filter(function (b) { return b.checked; }).length;
      groupBox.checked = on > 0;
      groupBox.indeterminate = on > 0 && on < kindBoxes.length;
    }
    var inner = el("ul", null, g.kinds.map(function (k) {
      var box = checkbox(k.kind, state.hiddenKinds, syncGroup);
      kindBoxes.push(box);
      return el("li", null, [el("label", null, [box, el("span", { text: k.kind }), countSpan(k.count)])]);
    }));
    groupBox.addEventListener("change", function () {
      kindBoxes.forEach(function (b) {
        b.checked = groupBox.checked;
        if (groupBox.checked) { state.hiddenKinds.delete(b.value); } else { state.hiddenKinds.add(b.value); }
      });
      groupBox.indeterminate = false;
      applyFilters();
    });
    var kindsPart = g.kinds.length > 1
      ? el("details", null, [el("summary", { text: plural(g.kinds.length, "kind", "kinds") }), inner])
      : el("div", { hidden: "hidden" }, [inner]); // one kind: the group's box is its box
    kindsList.appendChild(el("li", null, [
      el("label", null, [groupBox, glyph, el("span", { text: g.label }), countSpan(g.count)]),
      kindsPart
    ]));
    g.sync = syncGroup;
  });

  function agentList(listId, items, hidden) {
    var list = document.getElementById(listId);
    items.forEach(function (a) {
      var label = [el("span", null, [a.label, a.kind ? el("span", { className: "kz-hint", text: " (" + a.kind + ")" }) : null])];
      list.appendChild(el("li", null, [el("label", null, [checkbox(a.iri, hidden)].concat(label).concat([countSpan(a.count)]))]));
    });
  }
  agentList("kz-claimants", meta.claimants || [], state.hiddenClaimants);
  agentList("kz-sources", meta.sources || [], state.hiddenSources);
  var predicateList = document.getElementById("kz-predicates");
  meta.predicates.forEach(function (p) {
    predicateList.appendChild(el("li", null, [el("label", null, [
      checkbox(p.p, state.hiddenPredicates), el("span", { text: p.label, title: p.name }), countSpan(p.count)
    ])]));
  });

  var lists = {
    kinds: ["kz-kinds", state.hiddenKinds],
    claimants: ["kz-claimants", state.hiddenClaimants],
    sources: ["kz-sources", state.hiddenSources],
    predicates: ["kz-predicates", state.hiddenPredicates]
  };
  function setAll(which, on) {
    var listId = lists[which][0], hidden = lists[which][1];
    document.querySelectorAll("#" + listId + " input[type=checkbox]").forEach(function (box) {
      box.checked = on;
      box.indeterminate = false;
      if (box.hasAttribute("data-group")) { return; }
      if (on) { hidden.delete(box.value); } else { hidden.add(box.value); }
    });
  }
  document.querySelectorAll("[data-all], [data-none]").forEach(function (button) {
    var which = button.getAttribute("data-all") || button.getAttribute("data-none");
    var on = button.hasAttribute("data-all");
    button.addEventListener("click", function () { setAll(which, on); applyFilters(); });
  });
  if (sourceCount !== 2) {
    document.getElementById("kz-several-label").textContent = "stated by two or more sources";
  }

  // -- Time: the graph as it stood on a day --

  var DAY = 86400000;
  function dayOf(iso) { return Math.round(Date.parse(iso + "T00:00:00Z") / DAY); }
  function isoOf(day) { return new Date(day * DAY).toISOString().slice(0, 10); }

  var slider = document.getElementById("kz-date");
  var dateLabel = document.getElementById("kz-date-label");
  var undatedBox = document.getElementById("kz-undated");
  var first = 0, last = 0;
  function setDate(iso) {
    // null shows everything; otherwise what enters the picture after iso is hidden
    state.dateLimit = iso;
    if (meta.dates) {
      slider.value = String(iso ? Math.min(dayOf(iso), last) : last);
      dateLabel.textContent = iso
        ? iso + ": hidden is what came later — acts and events dated after it, the measures they include, and claims reported later"
        : "All dates (" + meta.dates.count + " items placed in time, " + meta.dates.min + " to " + meta.dates.max + ")";
    }
    applyFilters();
  }
  function setUndated(on) {
    state.showUndated = on;
    undatedBox.checked = on;
    applyFilters();
  }
  undatedBox.addEventListener("change", function () { setUndated(undatedBox.checked); });
  if (meta.dates) {
    document.getElementById("kz-date-section").hidden = false;
    document.getElementById("kz-undated-count").textContent = String(meta.dates.undated);
    first = dayOf(meta.dates.min);
    last = dayOf(meta.dates.max);
    slider.min = String(first - 1);
    slider.max = String(last);
    slider.value = String(last);
    slider.setAttribute("aria-valuetext", "all dates");
    slider.addEventListener("input", function () {
      var day = Number(slider.value);
      setDate(day >= last ? null : isoOf(day));
      slider.setAttribute("aria-valuetext", day >= last ? "all dates" : isoOf(day));
    });
    var ticks = document.getElementById("kz-ticks");
    var marks = document.getElementById("kz-tick-marks");
    var tickList = document.getElementById("kz-tick-list");
    var span = Math.max(1, last - first + 1);
    var marked = new Set();
    meta.dates.ticks.forEach(function (t) {
      var day = dayOf(t.date);
      if (!marked.has(day)) {
        marked.add(day);
        ticks.appendChild(el("option", { value: String(day), label: t.shown }));
        var mark = el("span", { title: t.shown + " " + t.label });
        mark.style.left = (100 * (day - first + 1) / span) + "%";
        marks.appendChild(mark);
      }
      var go = el("button", { type: "button", className: "kz-link-button", text: t.shown + " " + t.label });
      go.addEventListener("click", function () { setDate(day >= last ? null : t.date); });
      tickList.appendChild(el("li", null, [go]));
    });
    document.querySelector("#kz-dated-events summary").textContent = "Dated events (" + meta.dates.ticks.length + ")";
  }

  // -- Tools: zoom, fit, reset, export --

  function zoomBy(factor) {
    network.moveTo({ scale: network.getScale() * factor, animation: { duration: 200, easingFunction: "easeInOutQuad" } });
  }
  function fit() {
    network.fit({ nodes: Array.from(state.shownNodes), animation: false });
    network.redraw();
  }
  function reset() {
    Object.keys(lists).forEach(function (which) { setAll(which, true); });
    state.showUndated = true;
    undatedBox.checked = true;
    state.dateLimit = null;
    network.unselectAll();
    showHint();
    setDate(null);
    slider.setAttribute("aria-valuetext", "all dates");
    fit();
    showTab("legend");
  }
  document.getElementById("kz-zoom-in").addEventListener("click", function () { zoomBy(1.3); });
  document.getElementById("kz-zoom-out").addEventListener("click", function () { zoomBy(1 / 1.3); });
  document.getElementById("kz-fit").addEventListener("click", fit);
  document.getElementById("kz-reset").addEventListener("click", reset);

  function slug() {
    return (meta.title || "kzgraph").toLowerCase().replace(/[^\p{L}\p{N}]+/gu, "-").replace(/^-+|-+$/g, "").slice(0, 60) || "kzgraph";
  }

  function download(name, href) {
    var a = el("a", { href: href, download: name });
    a.hidden = true;
    document.body.appendChild(a);
    a.click();
    a.remove();
  }

  function png() {
    network.redraw();
    return network.canvas.frame.canvas.toDataURL("image/png");
  }

  var CSV_COLUMNS = ["subject", "subject_iri", "relation", "relation_iri", "object", "object_iri",
    "support", "claimant", "source", "source_iri", "paragraph", "quote", "evidence"];

  function csvCell(value) {
    var text = value === null || value === undefined ? "" : String(value);
    if (/^[=+\-@\t\r]/.test(text)) { text = "'" + text; } // never a formula in a spreadsheet
    return /[",\n\r]/.test(text) ? "\"" + text.replace(/"/g, "\"\"") + "\"" : text;
  }

  function csvRows(base, indices) {
    var shown = indices.filter(evShown);
    if (!shown.length) { return [base.concat(["", "", "", "", "", ""])]; }
    return shown.map(function (i) {
      var ev = evidence[i];
      return base.concat([ev.curated ? "kzgraph curators (editorial identification)" : ev.claimant || "",
        ev.source || "", ev.sourceIri || "", ev.paragraph === null ? "" : ev.paragraph, ev.quote || "", ev.graph]);
    });
  }

  /** The facts shown (edges, then the dates and values of the nodes shown), one row per passage. */
  function csv() {
    var rows = [CSV_COLUMNS];
    KZ_EDGES.forEach(function (e) {
      if (!state.shownEdges.has(e.id)) { return; }
      var from = byId.get(e.from).kz, to = byId.get(e.to).kz;
      rows = rows.concat(csvRows([from.label, from.iri || "", e.kz.label, e.kz.p, to.label, to.iri || "",
        supportText(e.kz.support, e.kz.ev)], e.kz.ev));
    });
    KZ_NODES.forEach(function (n) {
      if (!state.shownNodes.has(n.id)) { return; }
      var kz = n.kz;
      kz.dates.concat(kz.changes, kz.attrs).forEach(function (f) {
        var level = !f.ev.length ? "none" : statedSources(f.ev) > 1 ? "several" : statedSources(f.ev) === 1 ? "one" : "curators";
        rows = rows.concat(csvRows([kz.label, kz.iri || "", f.label, "", f.value, "", supportText(level, f.ev)], f.ev));
      });
    });
    return rows.map(function (r) { return r.map(csvCell).join(","); }).join("\r\n") + "\r\n";
  }

  document.getElementById("kz-png").addEventListener("click", function () { download(slug() + ".png", png()); });
  document.getElementById("kz-csv").addEventListener("click", function () {
    download(slug() + ".csv", "data:text/csv;charset=utf-8," + encodeURIComponent("\ufeff" + csv()));
  });

  // -- Keyboard: the picture can be used without a mouse --

  function shownInOrder() {
    return KZ_NODES.filter(function (n) { return state.shownNodes.has(n.id); })
      .sort(function (a, b) { return a.kz.label.localeCompare(b.kz.label); });
  }

  function step(delta) {
    var list = shownInOrder();
    if (!list.length) { return; }
    var at = state.selected ? list.findIndex(function (n) { return n.id === state.selected; }) : -1;
    var next = at < 0 ? (delta > 0 ? 0 : list.length - 1) : (at + delta + list.length) % list.length;
    state.cursor = next;
    select(list[next].id, true);
    updateStatus((next + 1) + " of " + list.length + ": " + list[next].kz.label);
  }

  container.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey) { return; }
    var pan = 80 / network.getScale();
    var at = network.getViewPosition();
    var handled = true;
    switch (event.key) {
      case "ArrowLeft": network.moveTo({ position: { x: at.x - pan, y: at.y } }); break;
      case "ArrowRight": network.moveTo({ position: { x: at.x + pan, y: at.y } }); break;
      case "ArrowUp": network.moveTo({ position: { x: at.x, y: at.y - pan } }); break;
      case "ArrowDown": network.moveTo({ position: { x: at.x, y: at.y + pan } }); break;
      case "+": case "=": zoomBy(1.3); break;
      case "-": case "_": zoomBy(1 / 1.3); break;
      case "0": fit(); break;
      case "n": step(1); break;
      case "p": case "N": step(-1); break;
      case "Enter":
        if (state.selected) {
          showTab("details");
          var heading = details.querySelector("h3");
          if (heading) { heading.setAttribute("tabindex", "-1"); heading.focus(); }
        }
        break;
      case "Escape": network.unselectAll(); showHint(); network.redraw(); break;
      default: handled = false;
    }
    if (handled) { event.preventDefault(); }
  });
  document.addEventListener("keydown", function (event) {
    var tag = (event.target && event.target.tagName) || "";
    if (event.key === "/" && !/^(INPUT|TEXTAREA|SELECT)$/.test(tag)) {
      event.preventDefault();
      document.getElementById("kz-search").focus();
    }
  });

  showTab(meta.focus ? "details" : "legend");
  updateStatus();

  window.kzView = {
    network: network,
    nodes: nodes,
    edges: edges,
    meta: meta,
    state: state,
    search: search,
    find: find,
    select: select,
    setDate: setDate,
    setUndated: setUndated,
    showTab: showTab,
    fit: fit,
    reset: reset,
    csv: csv,
    png: png,
    citation: citation,
    labels: function () { return { drawn: labelStats.drawn, boxes: labelStats.boxes.slice() }; },
    positions: function () { return network.getPositions(KZ_NODES.map(function (n) { return n.id; })); },
    drawnCounts: function () {
      var body = network.body;
      var shownNode = function (id) { return body.nodes[id] && body.nodes[id].options.hidden !== true; };
      return {
        nodes: body.nodeIndices.filter(shownNode).length,
        edges: body.edgeIndices.filter(function (id) {
          var e = body.edges[id];
          return e && e.options.hidden !== true && shownNode(e.fromId) && shownNode(e.toId);
        }).length
      };
    }
  };
})();
