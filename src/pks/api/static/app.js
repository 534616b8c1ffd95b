// pks: draw the Plotly figures a page carries as JSON (no inline scripts), also after
// HTMX swaps; figures are <div class="chart" data-figure="ID"> with
// <script type="application/json" id="ID">{data, layout}</script>.
(function () {
  "use strict";
  function draw(root) {
    if (typeof Plotly === "undefined") { return; }
    root.querySelectorAll("div.chart[data-figure]").forEach(function (div) {
      if (div.dataset.drawn) { return; }
      var source = document.getElementById(div.dataset.figure);
      if (!source) { return; }
      var figure = JSON.parse(source.textContent);
      var config = Object.assign({ responsive: true, displaylogo: false }, figure.config || {});
      Plotly.newPlot(div, figure.data, figure.layout || {}, config).then(function () {
        div.dataset.drawn = "1";
        div.setAttribute("data-rendered", "true");
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { draw(document); });
  document.addEventListener("htmx:afterSettle", function (event) { draw(event.target); });
})();
