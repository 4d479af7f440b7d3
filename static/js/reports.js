// Draws the charts of the program reports page with Chart.js. The figures come from the
// <script type="application/json" id="report-charts"> element (no inline script: strict CSP);
// every chart repeats a table printed below it.
(function () {
  "use strict";
  var PALETTE = ["#1d3b6f", "#e07b39", "#3f8f5a", "#b84a62", "#7a5ea8", "#5b8db8"];

  function config(chart) {
    var horizontal = chart.type === "hbar";
    var line = chart.type === "line";
    return {
      type: line ? "line" : "bar",
      data: {
        labels: chart.labels,
        datasets: chart.series.map(function (series, i) {
          return {
            label: series.label,
            data: series.data,
            backgroundColor: PALETTE[i % PALETTE.length],
            borderColor: PALETTE[i % PALETTE.length],
            borderWidth: line ? 2 : 0,
            tension: 0,
            pointRadius: line ? 3 : 0
          };
        })
      },
      options: {
        indexAxis: horizontal ? "y" : "x",
        maintainAspectRatio: false,
        responsive: true,
        animation: false,
        plugins: {
          legend: { position: "top" },
          title: { display: false }
        },
        scales: {
          x: { beginAtZero: true, ticks: { precision: 0 } },
          y: { beginAtZero: true, ticks: { precision: 0, autoSkip: !horizontal } }
        }
      }
    };
  }

  function draw() {
    var source = document.getElementById("report-charts");
    if (!source || typeof window.Chart === "undefined") {
      return;
    }
    JSON.parse(source.textContent).forEach(function (chart) {
      var canvas = document.getElementById(chart.key);
      if (canvas) {
        new window.Chart(canvas, config(chart));
        canvas.dataset.drawn = "true";
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
