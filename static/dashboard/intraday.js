// Thulium Live: the intraday chart. Every element with data-chart="intraday" gets a uPlot
// chart (static/vendor/uplot) of the numbers in the JSON script named by its data-source
// (put into the page by Django's json_script: no inline script, no eval). Labels come
// translated in the element's data-label-* attributes.
(function () {
  "use strict";

  var COLOURS = {
    offered: "#2b6cb0", answered: "#1f9d55", abandoned: "#c53030", sl: "#6b46c1", muted: "#8a94a3",
  };

  function hhmm(hours) {
    var minutes = Math.round(hours * 60);
    var h = Math.floor(minutes / 60), m = minutes % 60;
    return (h < 10 ? "0" : "") + h + ":" + (m < 10 ? "0" : "") + m;
  }

  function onWallboard(el) { return el.closest(".wallboard") !== null; }

  function size(el) {
    var height = onWallboard(el) ? Math.max(320, Math.round(window.innerHeight * 0.4)) : 320;
    return { width: Math.max(320, el.clientWidth), height: height };
  }

  // Axes in the page's own text colour and size (a dark wallboard, a scaled font).
  function axis(el, extra) {
    var style = getComputedStyle(el);
    var px = Math.round(parseFloat(style.fontSize) * (onWallboard(el) ? 0.8 : 0.85));
    var base = { stroke: style.color, font: px + "px system-ui, sans-serif",
                 grid: { stroke: "rgba(128,128,128,0.2)" }, ticks: { stroke: "rgba(128,128,128,0.3)" } };
    return Object.assign(base, extra);
  }

  function draw(el) {
    var source = document.getElementById(el.dataset.source || "intraday-data");
    if (!source || typeof uPlot === "undefined") return;
    var d = JSON.parse(source.textContent);
    var label = el.dataset;
    var bars = uPlot.paths.bars({ size: [0.6, 60] });
    var wide = size(el);
    var options = {
      width: wide.width,
      height: wide.height,
      scales: {
        // Half an interval either side: the first and last bars are whole.
        x: { time: false, range: function (u, min, max) { return [min - d.step / 2, max + d.step / 2]; } },
        count: { range: function (u, min, max) { return [0, Math.max(4, max)]; } },
        pct: { range: [0, 100] },
      },
      axes: [
        axis(el, { incrs: [0.25, 0.5, 1, 2, 3, 4, 6],
                   values: function (u, ticks) { return ticks.map(hhmm); } }),
        axis(el, { scale: "count" }),
        axis(el, { scale: "pct", side: 1, size: 60, grid: { show: false },
                   values: function (u, ticks) { return ticks.map(function (t) { return t + "%"; }); } }),
      ],
      series: [
        { label: label.labelInterval, value: function (u, v) { return v == null ? "—" : hhmm(v); } },
        { label: label.labelOffered, scale: "count", stroke: COLOURS.offered,
          fill: "rgba(43,108,176,0.18)", paths: bars, points: { show: false } },
        { label: label.labelAnswered, scale: "count", stroke: COLOURS.answered, width: 2 },
        { label: label.labelAbandoned, scale: "count", stroke: COLOURS.abandoned, width: 2 },
        { label: label.labelOfferedLastWeek, scale: "count", stroke: COLOURS.muted, width: 2,
          dash: [6, 4] },
        { label: label.labelServiceLevel, scale: "pct", stroke: COLOURS.sl, width: 2,
          value: function (u, v) { return v == null ? "—" : Math.round(v) + "%"; } },
        { label: label.labelServiceLevelLastWeek, scale: "pct", stroke: COLOURS.sl, width: 1,
          dash: [3, 4], value: function (u, v) { return v == null ? "—" : Math.round(v) + "%"; } },
      ],
    };
    var data = [d.x, d.offered, d.answered, d.abandoned, d.offered_last_week,
                d.service_level, d.service_level_last_week];
    el.textContent = "";
    var chart = new uPlot(options, data, el);
    el.dataset.drawn = "true";
    var resize = function () {
      if (!el.isConnected) return window.removeEventListener("resize", resize);  // swapped out
      chart.setSize(size(el));
    };
    window.addEventListener("resize", resize);
    return chart;
  }

  function drawAll() {
    document.querySelectorAll('[data-chart="intraday"]:not([data-drawn])').forEach(draw);
  }

  // Today's numbers come again every minute (htmx swaps the page's body partial).
  document.addEventListener("htmx:afterSettle", drawAll);

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", drawAll);
  else drawAll();
})();
