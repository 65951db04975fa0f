// The Results page's charts, drawn by Chart.js from the figures in #results-data (JSON).
(function () {
  "use strict";
  var COLOURS = ["#1f6f8b", "#c0492b", "#3d7a5a", "#8a5a00", "#6a4c93", "#444444"];

  function title(labels, measure) {
    var parts = measure.split(":");
    return parts.length > 1 ? labels[parts[0]] + " (" + parts[1] + ")" : labels[measure];
  }

  function overTime(canvas, data, measure) {
    var perChannel = data.measures[measure];
    var datasets = Object.keys(perChannel).map(function (channel, i) {
      return {
        label: channel,
        data: perChannel[channel],
        backgroundColor: COLOURS[i % COLOURS.length],
        borderColor: COLOURS[i % COLOURS.length],
      };
    });
    return new Chart(canvas, {
      type: "bar",
      data: { labels: data.days, datasets: datasets },
      options: {
        animation: false,
        responsive: true,
        plugins: { title: { display: true, text: title(data.labels, measure) } },
        scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } },
      },
    });
  }

  function exposures(canvas, data) {
    return new Chart(canvas, {
      type: "bar",
      data: {
        labels: data.exposures.map(function (b) { return b.bucket; }),
        datasets: [{
          label: data.labels.rate,
          data: data.exposures.map(function (b) { return b.rate * 100; }),
          backgroundColor: COLOURS[0],
        }],
      },
      options: {
        animation: false,
        responsive: true,
        plugins: { title: { display: true, text: data.labels.exposures } },
        scales: { y: { beginAtZero: true, ticks: { callback: function (v) { return v + "%"; } } } },
      },
    });
  }

  function draw() {
    var source = document.getElementById("results-data");
    if (!source || typeof Chart === "undefined") return;
    var data = JSON.parse(source.textContent);
    document.querySelectorAll("canvas[data-measure]").forEach(function (canvas) {
      var measure = canvas.getAttribute("data-measure");
      if (measure === "exposures") exposures(canvas, data);
      else if (data.measures[measure]) overTime(canvas, data, measure);
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
