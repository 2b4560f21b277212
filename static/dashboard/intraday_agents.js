// Thulium Live: the agents-by-status chart on the intraday page. Every element with
// data-chart="agents-by-status" gets a uPlot chart (static/vendor/uplot) of the JSON script
// named by its data-source (Django's json_script: no inline script, no eval): one line per
// status, the average number of agents in it per interval. Labels come translated in
// data-labels ("|"-separated, in the JSON's status order).
(function () {
  "use strict";

  var COLOURS = {
    FREE: "#15803d", RINGING: "#d69e2e", INBOUND_CALL: "#2b6cb0", OUTBOUND_CALL: "#6b46c1",
    CALL: "#0e7490", OUTBOUND_PREVIEW: "#9f7aea", PAUSED: "#c05621",
  };

  function hhmm(hours) {
    var minutes = Math.round(hours * 60);
    var h = Math.floor(minutes / 60), m = minutes % 60;
    return (h < 10 ? "0" : "") + h + ":" + (m < 10 ? "0" : "") + m;
  }

  function axis(el, extra) {
    var style = getComputedStyle(el);
    var px = Math.round(parseFloat(style.fontSize) * 0.85);
    var base = { stroke: style.color, font: px + "px system-ui, sans-serif",
                 grid: { stroke: "rgba(128,128,128,0.2)" }, ticks: { stroke: "rgba(128,128,128,0.3)" } };
    return Object.assign(base, extra);
  }

  function size(el) { return { width: Math.max(320, el.clientWidth), height: 280 }; }

  function draw(el) {
    var source = document.getElementById(el.dataset.source);
    if (!source || typeof uPlot === "undefined") return;
    var d = JSON.parse(source.textContent);
    var labels = (el.dataset.labels || "").split("|");
    var series = [{ label: el.dataset.labelInterval,
                    value: function (u, v) { return v == null ? "—" : hhmm(v); } }];
    d.statuses.forEach(function (status, i) {
      series.push({ label: labels[i] || status, stroke: COLOURS[status] || "#5b6573", width: 2,
                    value: function (u, v) { return v == null ? "—" : v.toFixed(1); } });
    });
    var wide = size(el);
    var options = {
      width: wide.width,
      height: wide.height,
      scales: {
        x: { time: false, range: function (u, min, max) { return [min - d.step / 2, max + d.step / 2]; } },
        y: { range: function (u, min, max) { return [0, Math.max(2, Math.ceil(max))]; } },
      },
      axes: [
        axis(el, { incrs: [0.25, 0.5, 1, 2, 3, 4, 6],
                   values: function (u, ticks) { return ticks.map(hhmm); } }),
        axis(el, {}),
      ],
      series: series,
    };
    el.textContent = "";
    var chart = new uPlot(options, [d.x].concat(d.series), el);
    el.dataset.drawn = "true";
    var resize = function () {
      if (!el.isConnected) return window.removeEventListener("resize", resize);
      chart.setSize(size(el));
    };
    window.addEventListener("resize", resize);
  }

  function drawAll() {
    document.querySelectorAll('[data-chart="agents-by-status"]:not([data-drawn])').forEach(draw);
  }

  document.addEventListener("htmx:afterSettle", drawAll);  // today's body comes every minute
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", drawAll);
  else drawAll();
})();
