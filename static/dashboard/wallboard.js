// Wallboard kiosk: live.js does the counters, the "stale since" banner and the reconnects;
// this adds what a screen nobody touches needs: a clock, a watchdog for a silent socket,
// amber/red for the ticking longest wait, reload when an admin edits it, an optional beep.
(function () {
  "use strict";
  var SILENT_MS = 40000;          // the server sends something at least every 15 s
  var lastMessage = Date.now(), socket = null, wasRed = {};

  function root() { return document.querySelector("[data-wallboard]"); }

  function clock() {
    var el = document.querySelector("[data-clock]");
    if (el) el.textContent = new Date().toLocaleTimeString("en-GB");
  }

  // The longest wait ticks in the browser, so its colour must move here too.
  function levels() {
    document.querySelectorAll("[data-levels]").forEach(function (el) {
      var t = el.querySelector("[data-since]");
      var since = t && Date.parse(t.getAttribute("data-since"));
      var secs = since ? (Date.now() - since) / 1000 : null;
      var amber = +el.dataset.amber, red = +el.dataset.red, level = "ok";
      if (secs !== null && secs >= red) level = "red";
      else if (secs !== null && secs >= amber) level = "amber";
      el.classList.remove("level-ok", "level-amber", "level-red");
      el.classList.add("level-" + level);
      var tile = el.closest(".wb-tile");
      if (tile && level === "red") tile.classList.add("level-red");
    });
  }

  function beepOnNewRed() {
    var board = root();
    document.querySelectorAll(".wb-tile").forEach(function (tile) {
      var red = tile.classList.contains("level-red");
      if (red && !wasRed[tile.id] && board && board.hasAttribute("data-sound")) beep();
      wasRed[tile.id] = red;
    });
  }

  function beep() {
    try {
      var ctx = new (window.AudioContext || window.webkitAudioContext)();
      var osc = ctx.createOscillator();
      osc.frequency.value = 880;
      osc.connect(ctx.destination);
      osc.start();
      osc.stop(ctx.currentTime + 0.25);
    } catch (e) { /* no audio on this screen */ }
  }

  document.addEventListener("htmx:wsOpen", function (e) {
    socket = e.detail.event && e.detail.event.target;   // the raw WebSocket
    lastMessage = Date.now();
  });
  document.addEventListener("htmx:wsAfterMessage", function () {
    lastMessage = Date.now();
    if (document.querySelector("#wb-signal[data-reload]")) { location.reload(); return; }
    levels();
    beepOnNewRed();
  });
  document.addEventListener("htmx:wsClose", function (e) {
    var code = e.detail.event && e.detail.event.code;
    socket = null;
    if (code === 4000) {                          // our watchdog: stale since the last message
      var lost = document.querySelector("[data-live-lost]");
      if (lost) lost.textContent = new Date(lastMessage).toLocaleTimeString("en-GB");
    }
    if (code === 4404) {                          // revoked: say so; nothing will bring it back
      var banner = document.querySelector("[data-live-banner]"), board = root();
      if (banner && board) { banner.textContent = board.dataset.revokedText; banner.hidden = false; }
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    clock(); levels(); beepOnNewRed();
    setInterval(function () {
      clock(); levels(); beepOnNewRed();
      // A socket that is open but silent (a dead network path) is as stale as a closed one.
      if (socket && socket.readyState === 1 && Date.now() - lastMessage > SILENT_MS) {
        socket.close(4000, "silent");             // live.js reconnects with backoff
      }
    }, 1000);
  });
})();
