// The query page: YASGUI on this server's endpoint, with the catalogue as examples.
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("kzgraph-config").textContent);
  var examples = config.examples || [];
  var yasgui = new Yasgui(document.getElementById("yasgui"), {
    requestConfig: { endpoint: config.endpoint, method: "POST" },
    copyEndpointOnNewTab: false,
    persistenceId: null,
    populateFromUrl: false,
    endpointCatalogueOptions: { getData: function () { return [{ endpoint: config.endpoint }]; } },
    yasqe: { value: examples.length ? examples[0].query : "SELECT * WHERE { ?s ?p ?o } LIMIT 10" }
  });
  window.kzgraphYasgui = yasgui;
  // "View the result as a network": the current query, drawn by /view in a new tab
  document.getElementById("view-form").addEventListener("submit", function () {
    document.getElementById("view-query").value = yasgui.getTab().getQuery();
  });
  var buttons = document.querySelectorAll("button.example");
  Array.prototype.forEach.call(buttons, function (button) {
    button.addEventListener("click", function () {
      var example = examples[Number(button.getAttribute("data-index"))];
      var tab = yasgui.getTab();
      tab.setQuery(example.query);
      tab.getYasqe().query();
    });
  });
})();
