/* Progress and documents pages: the progress chart, form errors swapped in by htmx, and
   an upload's progress bar. The numbers of the chart are also in the tables. */
(function () {
  "use strict";

  var COLOURS = ["#1d4ed8", "#b91c1c", "#047857", "#7c3aed", "#b45309", "#0e7490", "#be185d"];

  function drawCharts(root) {
    if (typeof Chart === "undefined") return;
    root.querySelectorAll("canvas[data-chart-source]").forEach(function (canvas) {
      var source = document.getElementById(canvas.dataset.chartSource);
      if (!source) return;
      var data = JSON.parse(source.textContent);
      var existing = Chart.getChart(canvas);
      if (existing) existing.destroy();
      data.datasets.forEach(function (dataset, index) {
        var colour = COLOURS[index % COLOURS.length];
        dataset.borderColor = colour;
        dataset.backgroundColor = colour;
        dataset.spanGaps = true;
        dataset.tension = 0.2;
      });
      new Chart(canvas, {
        type: "line",
        data: data,
        options: {
          animation: false,
          scales: {
            y: { min: 0, max: 100, title: { display: true, text: "Progress (%)" } },
            x: { title: { display: true, text: "Date" } }
          }
        }
      });
    });
  }

  // Bad input comes back as 400 (or 403) with the form and its errors: show it.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    if ((status === 400 || status === 403) && event.detail.target.closest("[data-swap-errors]")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  document.addEventListener("htmx:xhr:progress", function (event) {
    var form = event.target.closest("[data-upload-form]");
    var bar = form && form.querySelector("[data-upload-progress]");
    if (!bar || !event.detail.lengthComputable) return;
    bar.hidden = false;
    bar.value = Math.round((event.detail.loaded / event.detail.total) * 100);
  });

  if (window.htmx) {
    htmx.onLoad(drawCharts);
  } else {
    document.addEventListener("DOMContentLoaded", function () { drawCharts(document); });
  }
})();
