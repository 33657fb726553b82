// The statistics page's charts: stacked bars per division in the official level colours.
// Every number drawn here is also in the table under the charts, so nothing depends on a canvas.
(function () {
  "use strict";
  var block = document.getElementById("risk-charts");
  if (!block || typeof Chart === "undefined") { return; }
  var data = JSON.parse(block.textContent);
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.animation = false;
  var fmt = new Intl.NumberFormat(data.locale, { maximumFractionDigits: 3 });
  data.charts.forEach(function (spec) {
    var canvas = document.getElementById("chart-" + spec.key);
    if (!canvas) { return; }
    if (!spec.labels.length) { canvas.closest("figure").hidden = true; return; }
    new Chart(canvas, {
      type: "bar",
      data: { labels: spec.labels, datasets: spec.datasets.map(function (d) {
        return { label: d.label, data: d.data, backgroundColor: d.colour, borderColor: "rgba(0,0,0,.35)", borderWidth: 1, maxBarThickness: 40 };
      }) },
      options: {
        responsive: true, maintainAspectRatio: false,
        scales: { x: { stacked: true, ticks: { autoSkip: false, maxRotation: 60 } },
          y: { stacked: true, beginAtZero: true, title: { display: true, text: data.axis[spec.unit] },
            ticks: { callback: function (v) { return fmt.format(v); } } } },
        plugins: { legend: { position: "bottom" },
          tooltip: { callbacks: { label: function (c) { return c.dataset.label + ": " + fmt.format(c.parsed.y); } } } }
      }
    });
  });
  document.body.setAttribute("data-charts", String(data.charts.length));
})();
