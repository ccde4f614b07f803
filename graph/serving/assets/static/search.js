// The search box on every page: suggestions from /search?format=json as you type
// (labels, alternative labels, other languages), arrow keys to choose, Enter to open.
(function () {
  "use strict";
  var input = document.getElementById("site-search");
  var list = document.getElementById("search-suggestions");
  if (!input || !list) { return; }
  var timer = null;
  var active = -1;
  var asked = "";

  function items() { return list.querySelectorAll("a"); }
  function close() { list.hidden = true; active = -1; input.setAttribute("aria-expanded", "false"); }
  function mark(i) {
    var links = items();
    Array.prototype.forEach.call(links, function (a, j) { a.setAttribute("aria-selected", j === i ? "true" : "false"); });
    active = i;
  }
  function show(data) {
    list.textContent = "";
    if (!data.results.length) { close(); return; }
    if (data.suggestion) {
      var head = document.createElement("li");
      head.className = "suggestion-head";
      head.textContent = "Did you mean";
      list.appendChild(head);
    }
    data.results.forEach(function (r) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = r.href;
      a.setAttribute("role", "option");
      var label = document.createElement("span");
      label.className = "label";
      label.textContent = r.label;
      a.appendChild(label);
      var kind = document.createElement("span");
      kind.className = "kind";
      kind.textContent = r.kind;
      a.appendChild(kind);
      if (r.matched) {
        var alt = document.createElement("span");
        alt.className = "matched";
        alt.textContent = "also called “" + r.matched + "”";
        a.appendChild(alt);
      }
      li.appendChild(a);
      list.appendChild(li);
    });
    list.hidden = false;
    input.setAttribute("aria-expanded", "true");
    active = -1;
  }
  function ask() {
    var text = input.value.trim();
    if (text.length < 2) { close(); return; }
    asked = text;
    fetch("/search?format=json&q=" + encodeURIComponent(text), { headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (data) { if (data.query === asked) { show(data); } })
      .catch(close);
  }
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(ask, 150);
  });
  input.addEventListener("keydown", function (ev) {
    var links = items();
    if (ev.key === "ArrowDown" && links.length) { ev.preventDefault(); mark((active + 1) % links.length); links[active].focus(); }
    else if (ev.key === "Escape") { close(); }
  });
  list.addEventListener("keydown", function (ev) {
    var links = items();
    if (ev.key === "ArrowDown") { ev.preventDefault(); mark(Math.min(active + 1, links.length - 1)); links[active].focus(); }
    else if (ev.key === "ArrowUp") { ev.preventDefault(); if (active <= 0) { input.focus(); mark(-1); } else { mark(active - 1); links[active].focus(); } }
    else if (ev.key === "Escape") { close(); input.focus(); }
  });
  document.addEventListener("click", function (ev) {
    if (!list.contains(ev.target) && ev.target !== input) { close(); }
  });
})();
