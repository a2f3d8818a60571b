/* Charts: every <canvas data-chart="ID"> is drawn by Chart.js from the JSON in the
   element with that id (written by Django's json_script), so no script is inline. */
(function () {
  "use strict";

  function draw(canvas) {
    var source = document.getElementById(canvas.getAttribute("data-chart"));
    if (!source || canvas.chart) {
      return;
    }
    var config = JSON.parse(source.textContent);
    // Numbers on axes and tooltips in the page's locale (es-MX…), as the server writes them.
    var locale = document.body.getAttribute("data-locale") || undefined;
    config.options = Object.assign(
      { responsive: true, maintainAspectRatio: false, locale: locale },
      config.options || {}
    );
    canvas.chart = new window.Chart(canvas, config);
  }

  function drawAll(root) {
    (root || document).querySelectorAll("canvas[data-chart]").forEach(draw);
  }

  document.addEventListener("DOMContentLoaded", function () { drawAll(document); });
  document.addEventListener("htmx:afterSwap", function (event) { drawAll(event.detail.target); });
})();
