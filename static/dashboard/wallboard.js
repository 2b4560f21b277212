// Wallboard kiosk: live.js does the counters, the "stale since" banner and the reconnects;
// this adds what a screen nobody touches needs: a clock, a watchdog for a silent socket,
// amber/red for the ticking longest wait, reload when an admin edits it, an optional beep.
(function () {
  "use strict";
  var SILENT_MS = 40000;          // the server sends something at least every 15 s
  var lastMessage = Date.now(), socket = null, wasRed = {};

  function root() { return document.querySelector("[data-wallboard]"); }

  // The clock and "stale since" in Thulium's time zone (the page's data-time-zone), as the
  // server's times are: one time zone on the screen whatever the TV's own is set to.
  function timeOf(date) {
    var zone = document.documentElement.dataset.timeZone;
    return date.toLocaleTimeString("en-GB", zone ? { timeZone: zone } : {});
  }

  function clock() {
    var el = document.querySelector("[data-clock]");
    if (el) el.textContent = timeOf(new Date());
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
      if (lost) lost.textContent = timeOf(new Date(lastMessage));
    }
    if (code === 4404) {                          // revoked: say so; nothing will bring it back
      var banner = document.querySelector("[data-live-banner]"), board = root();
      if (banner && board) { banner.textContent = board.dataset.revokedText; banner.hidden = false; }
    }
  });

  // Messages are swapped in here (not by htmx: no per-element processing on a grid of a
  // thousand agents): every top-level element replaces the one with its id; an agent's cell
  // new to this wallboard goes into the grid in order (data-sort, the server's order too),
  // and one marked data-gone is taken out.
  document.addEventListener("htmx:wsBeforeMessage", function (e) {
    var socketElt = e.target;
    if (!socketElt.matches("[data-wallboard]")) return;
    e.preventDefault();
    var message = document.createElement("template");
    message.innerHTML = e.detail.message;
    Array.prototype.slice.call(message.content.children).forEach(function (el) {
      var old = el.id && document.getElementById(el.id);
      if (el.hasAttribute("data-gone")) { if (old) old.remove(); }
      else if (old) old.replaceWith(el);
      else if (el.matches("li.wb-agent")) insertAgent(el);
    });
    socketElt.dispatchEvent(new CustomEvent("htmx:wsAfterMessage",
      { bubbles: true, detail: { message: e.detail.message } }));
  });

  function insertAgent(cell) {
    var grid = document.querySelector(".wb-agent-grid");
    if (!grid) return;
    var empty = grid.querySelector(".wb-empty");
    if (empty) empty.remove();
    var key = cell.dataset.sort, cells = grid.children, next = null;
    for (var i = 0; i < cells.length && !next; i++) {
      if (cells[i].dataset.sort > key) next = cells[i];
    }
    grid.insertBefore(cell, next);
  }

  // Whatever it is told to show fits the screen with no scrolling: the type shrinks (--fit,
  // a factor on the wallboard's own scale) until it does, and grows back when there is room.
  var fitPending = false;
  function fit() {
    var html = document.documentElement, factor = 1;
    html.style.setProperty("--fit", "1");
    for (var i = 0; i < 8 && html.scrollHeight > innerHeight + 1 && factor > 0.35; i++) {
      factor *= Math.max(0.8, Math.sqrt(innerHeight / html.scrollHeight));
      html.style.setProperty("--fit", factor.toFixed(3));
    }
  }
  function fitSoon() {
    if (fitPending) return;
    fitPending = true;
    setTimeout(function () { fitPending = false; fit(); }, 500);
  }
  document.addEventListener("htmx:wsAfterMessage", fitSoon);
  window.addEventListener("resize", fitSoon);

  document.addEventListener("DOMContentLoaded", function () {
    fit();
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
