// The overview's charts, drawn by the vendored Chart.js from the page's JSON block.
// Every number drawn here is also in the table under its chart, so nothing depends on a canvas.
(function () {
  "use strict";
  var block = document.getElementById("dashboard-data");
  if (!block || typeof Chart === "undefined") { return; }
  var data = JSON.parse(block.textContent);
  var locale = data.locale;
  var fmt = {
    km: new Intl.NumberFormat(locale, { maximumFractionDigits: 3 }),
    pct: new Intl.NumberFormat(locale, { maximumFractionDigits: 1 })
  };

  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.font.size = 12;
  Chart.defaults.color = "#3b4452";
  Chart.defaults.animation = false;

  function dataset(d) {
    var colours = d.colours || d.colour;
    return {
      label: d.label,
      data: d.data,
      backgroundColor: colours,
      borderColor: "rgba(0, 0, 0, 0.35)",  // CJJ 61 cyan and green need an edge on white
      borderWidth: 1,
      maxBarThickness: 44
    };
  }

  function draw(key, spec) {
    var canvas = document.getElementById("chart-" + key);
    if (!canvas || !spec.labels.length) {
      if (canvas) { canvas.closest("figure").hidden = true; }
      return;
    }
    var unit = spec.unit;
    var horizontal = !!spec.horizontal;
    var valueAxis = {
      beginAtZero: true,
      stacked: !!spec.stacked,
      title: { display: true, text: data.axis[unit] },
      ticks: { callback: function (v) { return fmt[unit].format(v); } }
    };
    if (unit === "pct") { valueAxis.max = 100; }
    var labelAxis = {
      stacked: !!spec.stacked,
      ticks: { autoSkip: false, maxRotation: 60, minRotation: 0 }
    };
    if (horizontal) {
      canvas.parentNode.style.height = Math.max(160, 20 * spec.labels.length + 60) + "px";
    }
    new Chart(canvas, {
      type: "bar",
      data: { labels: spec.labels, datasets: spec.datasets.map(dataset) },
      options: {
        indexAxis: horizontal ? "y" : "x",
        responsive: true,
        maintainAspectRatio: false,
        locale: locale,
        plugins: {
          legend: { display: spec.datasets.length > 1, position: "bottom",
                    labels: { boxWidth: 12 } },
          tooltip: {
            callbacks: {
              label: function (ctx) {
                var v = horizontal ? ctx.parsed.x : ctx.parsed.y;
                return ctx.dataset.label + ": " + fmt[unit].format(v);
              }
            }
          }
        },
        scales: horizontal ? { x: valueAxis, y: labelAxis } : { x: labelAxis, y: valueAxis }
      }
    });
  }

  Object.keys(data.charts).forEach(function (key) { draw(key, data.charts[key]); });
})();
