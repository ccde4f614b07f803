// The query page: YASGUI on this server's endpoint, with the catalogue as examples, result IRIs
// linking to this server's own pages, queries kept in the address (shareable, and restored on
// reload; YASGUI's own share links are honoured), readable tables and offline result views.
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("kzgraph-config").textContent);
  var examples = config.examples || [];
  var prefixes = config.prefixes || {};
  var base = config.base;
  var kz = window.kzgraphPages = window.kzgraphPages || {};
  var byLength = Object.keys(prefixes).sort(function (a, b) { return prefixes[b].length - prefixes[a].length; });

  kz.endpoint = config.endpoint;
  // An IRI under the dataset's base opens this server's page for it; others stay as they are.
  kz.localHref = function (iri) {
    if (base && iri.indexOf(base) === 0) {
      var rest = iri.slice(base.length);
      var hash = rest.indexOf("#");
      var path = hash < 0 ? rest : rest.slice(0, hash);
      var fragment = hash < 0 ? "" : "#" + encodeURIComponent(rest.slice(hash + 1));
      return "/" + path.split("/").map(encodeURIComponent).join("/") + fragment;
    }
    return /^https?:\/\//i.test(iri) ? iri : "#";
  };
  kz.shortName = function (iri) {
    for (var i = 0; i < byLength.length; i++) {
      var ns = prefixes[byLength[i]];
      if (iri.indexOf(ns) === 0 && iri.length > ns.length) { return byLength[i] + ":" + iri.slice(ns.length); }
    }
    return iri;
  };
  function esc(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  // Readable tables: IRIs as local links with their prefixed names, literals as their text
  // (the language as a small tag, the datatype on hover), no cut-off cells unless asked.
  var Table = Yasr.plugins.table;
  Table.defaults.openIriInNewWindow = false;
  Table.prototype.getUriLinkFromBinding = function (binding) {
    var href = kz.localHref(binding.value);
    var external = href.charAt(0) !== "/";
    return "<a class='iri" + (external ? " external" : "") + "' href='" + esc(href) + "' title='" + esc(binding.value) + "'" +
      (external ? " target='_blank' rel='noopener noreferrer'" : "") + ">" + esc(kz.shortName(binding.value)) + "</a>";
  };
  Table.prototype.formatLiteral = function (binding) {
    var text = esc(binding.value);
    if (binding["xml:lang"]) { return text + "<sup class='lang'>" + esc(binding["xml:lang"]) + "</sup>"; }
    if (binding.datatype) { return "<span title='" + esc(kz.shortName(binding.datatype)) + "'>" + text + "</span>"; }
    return text;
  };
  var tableDraw = Table.prototype.draw;
  Table.prototype.draw = function (settings) {
    var merged = Object.assign({}, this.persistentConfig || {}, settings || {});
    if (merged.isEllipsed === undefined) { settings = Object.assign({}, settings || {}, { isEllipsed: false }); }
    return tableDraw.call(this, settings);
  };
  kz.registerViews(Yasr);

  var initial = examples.length ? examples[0].query : "SELECT * WHERE { ?s ?p ?o } LIMIT 10";
  var yasgui = new Yasgui(document.getElementById("yasgui"), {
    requestConfig: { endpoint: config.endpoint, method: "POST" },
    copyEndpointOnNewTab: false,
    persistenceId: "kzgraph-query",
    // a shared link (#query=... or ?query=..., YASGUI's own format) opens here, always on this server
    populateFromUrl: function (tabConfig) {
      tabConfig.requestConfig.endpoint = config.endpoint;
      return tabConfig;
    },
    endpointCatalogueOptions: { getData: function () { return [{ endpoint: config.endpoint }]; } },
    yasqe: { value: initial, editorHeight: "260px" },
    yasr: {
      prefixes: prefixes,
      pluginOrder: ["table", "timeline", "chart", "network", "response"],
      defaultPlugin: "table"
    }
  });
  window.kzgraphYasgui = yasgui;

  function tab() { return yasgui.getTab(); }
  tab().setEndpoint && tab().setEndpoint(config.endpoint);

  // The endpoint predeclares the common prefixes, but the editor checks that each prefix a
  // query uses is declared: declare the ones used (as YASQE does with prefix.cc) and fold them.
  var PNAME = /(^|[\s{}();,.\/^|!=<>*+\[\]])([A-Za-z][\w.-]*)?:(?=[\w\-.%]|\s|$)/g;
  function declareUsedPrefixes(yasqe, fold) {
    var declared = yasqe.getPrefixesFromQuery();
    var text = yasqe.getValueWithoutComments().replace(/"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|<[^>\s]*>/g, " ");
    var missing = {};
    var match;
    PNAME.lastIndex = 0;
    while ((match = PNAME.exec(text)) !== null) {
      var prefix = match[2] || "";
      if (!(prefix in declared) && prefixes[prefix] && !/^PREFIX$/i.test(prefix)) { missing[prefix] = prefixes[prefix]; }
    }
    if (Object.keys(missing).length) { yasqe.addPrefixes(missing); }
    if (fold) { yasqe.collapsePrefixes(true); }
  }

  // The address always holds the current query, so a reload keeps it and a copy shares it.
  var pending = null;
  function remember() {
    var query = tab().getQuery();
    var url = location.pathname + "#query=" + encodeURIComponent(query);
    if (location.pathname + location.hash !== url) { history.replaceState(null, "", url); }
  }
  function watch(t) {
    var yasqe = t.getYasqe && t.getYasqe();
    if (!yasqe || yasqe.__kzWatched) { return; }
    yasqe.__kzWatched = true;
    yasqe.on("change", function () {
      clearTimeout(pending);
      pending = setTimeout(function () { declareUsedPrefixes(yasqe, false); remember(); }, 400);
    });
    declareUsedPrefixes(yasqe, true);
  }
  watch(tab());
  yasgui.on("tabChange", function (_y, t) { watch(t); remember(); });
  yasgui.on("query", function () { remember(); });
  // Ctrl-Enter or the run button: declare what the query uses first
  yasgui.on("tabAdd", function () { setTimeout(function () { watch(tab()); }, 0); });
  document.getElementById("yasgui").addEventListener("mousedown", function (ev) {
    if (ev.target.closest && ev.target.closest(".yasqe_queryButton")) { declareUsedPrefixes(tab().getYasqe(), false); }
  }, true);
  remember();

  // "Open the result in the network view": a SELECT's IRIs and the facts between them
  document.getElementById("view-form").addEventListener("submit", function () {
    var t = tab();
    var query = t.getQuery();
    var yasqe = t.getYasqe();
    var yasr = t.getYasr();
    if (yasqe.getQueryType && yasqe.getQueryType() === "SELECT" && yasr && yasr.results && yasr.results.getBindings) {
      var iris = kz.resultIris(yasr.results);
      if (iris.length) { query = kz.networkQuery(iris); }
    }
    document.getElementById("view-query").value = query;
  });
  var buttons = document.querySelectorAll("button.example");
  Array.prototype.forEach.call(buttons, function (button) {
    button.addEventListener("click", function () {
      var example = examples[Number(button.getAttribute("data-index"))];
      var t = tab();
      t.setQuery(example.query);
      t.getYasqe().collapsePrefixes(true);
      var about = document.getElementById("example-description");
      about.textContent = example.title + ": " + example.description;
      about.hidden = false;
      remember();
      t.getYasqe().query();
    });
  });
})();
