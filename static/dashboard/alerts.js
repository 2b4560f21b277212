// Alerts on the board: every agent row and queue tile carries its limits (data-limits: what,
// amber and red seconds since its [data-since]) and the level of what does not tick
// (data-alert-base); here they are evaluated again every second, so a pause that crosses its
// limit turns red at that moment with no event arriving, and the attention strip lists what
// is over its threshold, worst first. Each element's numbers are read once (a live update
// replaces the element): the per-second work is arithmetic, the page is written only when a
// level changes, off-screen rows included (the strip lists them too).
(function () {
  "use strict";
  var LEVELS = ["", "amber", "red"];
  var known = new WeakMap();
  var MAX_SHOWN = 30;
  var NOTIFY_KEY = "thulium-alerts-notify";  // opt-in, kept in this browser
  var reds = null;  // the red breaches seen at the last run: a new one may beep and notify

  function worse(a, b) { return LEVELS.indexOf(a) >= LEVELS.indexOf(b) ? a : b; }

  function read(el) {
    var item = known.get(el);
    if (item) return item;
    var limits = [];
    try { limits = JSON.parse(el.getAttribute("data-limits") || "[]"); } catch (e) { /* none */ }
    var t = el.querySelector("[data-since]");
    var since = t ? Date.parse(t.getAttribute("data-since")) : NaN;
    var flag = el.querySelector("[data-alert-flag]");
    item = {
      limits: limits, since: since, flag: flag,
      base: el.getAttribute("data-alert-base") || "",
      baseWhat: el.getAttribute("data-alert-base-what") || "",
      subject: el.getAttribute("data-alert-subject") || el.id,
      text: flag ? flag.textContent : "",
      ack: el.getAttribute("data-ack") || "", ackBy: el.getAttribute("data-ack-by") || "",
      login: el.getAttribute("data-login") || "",
    };
    known.set(el, item);
    return item;
  }

  function evaluate(item, now) {
    var level = item.base, what = item.baseWhat ? [item.baseWhat] : [];
    var seconds = isNaN(item.since) ? null : (now - item.since) / 1000;
    if (seconds !== null) {
      item.limits.forEach(function (limit) {   // [what, amber, red]
        var l = limit[2] !== null && seconds >= limit[2] ? "red"
          : limit[1] !== null && seconds >= limit[1] ? "amber" : "";
        if (l === "red") what.unshift(limit[0]); else if (l) what.push(limit[0]);
        level = worse(level, l);
      });
    }
    var acked = !!level && !!item.ack && LEVELS.indexOf(level) <= LEVELS.indexOf(item.ack);
    return { level: level, what: what.join(", "), seconds: seconds, acked: acked };
  }

  function words(level) {
    var board = document.querySelector(".board[data-live]");
    return board ? board.getAttribute("data-alert-" + level) : level;
  }

  function run() {
    var strip = document.querySelector("[data-attention]");
    if (!strip) return;
    var now = Date.now(), breaches = [];
    document.querySelectorAll("[data-limits]").forEach(function (el) {
      var item = read(el), found = evaluate(item, now);
      if (el.getAttribute("data-alert") !== found.level) el.setAttribute("data-alert", found.level);
      var text = found.level ? words(found.level) + ": " + found.what : "";
      if (item.flag && item.text !== text) {
        item.flag.textContent = text; item.flag.title = text; item.text = text;
      }
      if (found.level) breaches.push({ el: el, item: item, found: found });
    });
    breaches.sort(function (a, b) {  // the acknowledged after the rest
      return (a.found.acked - b.found.acked) || LEVELS.indexOf(b.found.level) - LEVELS.indexOf(a.found.level) ||
        (b.found.seconds || 0) - (a.found.seconds || 0);
    });
    show(strip, breaches.slice(0, MAX_SHOWN));
    notifyNewRed(strip, breaches);
  }

  // --- Opt-in sound and browser notification when a new red one starts ---------------------
  function notifyNewRed(strip, breaches) {
    var now = new Set(), fresh = [];
    breaches.forEach(function (b) {
      if (b.found.level !== "red" || b.found.acked) return;
      var key = b.el.id + "@" + b.item.since;
      now.add(key);
      if (reds && !reds.has(key)) fresh.push(b);
    });
    reds = now;  // the first run only learns what is already red
    if (!fresh.length || localStorage.getItem(NOTIFY_KEY) !== "1") return;
    strip.setAttribute("data-notified", String(Number(strip.getAttribute("data-notified") || 0) + fresh.length));
    beep();
    if ("Notification" in window && Notification.permission === "granted") {
      fresh.forEach(function (b) {
        try { new Notification(b.item.subject, { body: b.found.what, tag: b.el.id }); } catch (e) { /* none here */ }
      });
    }
  }

  function beep() {
    try {
      var ctx = new (window.AudioContext || window.webkitAudioContext)();
      var osc = ctx.createOscillator();
      osc.frequency.value = 880;
      osc.connect(ctx.destination);
      osc.start();
      osc.stop(ctx.currentTime + 0.25);
    } catch (e) { /* no audio here */ }
  }

  document.addEventListener("change", function (e) {
    if (!e.target.matches("[data-alert-notify]")) return;
    localStorage.setItem(NOTIFY_KEY, e.target.checked ? "1" : "0");
    if (e.target.checked && "Notification" in window && Notification.permission === "default") {
      Notification.requestPermission();
    }
  });

  function show(strip, breaches) {
    var list = strip.querySelector("[data-attention-list]");
    strip.querySelector("[data-attention-none]").hidden = breaches.length > 0;
    var entries = list.children;
    var viewOnly = !!document.querySelector(".board[data-view-only]");  // once: a full scan
    breaches.forEach(function (b, i) {
      var li = entries[i];
      if (!li) {
        li = document.createElement("li");
        li.appendChild(document.createElement("a"));
        list.appendChild(li);
      }
      var a = li.firstChild;
      var time = b.found.seconds !== null && window.thuliumFormatDuration
        ? " · " + window.thuliumFormatDuration(b.found.seconds) : "";
      var text = b.item.subject + " — " + b.found.what + time;
      if (b.found.acked) text += " · " + strip.dataset.ackedLabel + " " + b.item.ackBy;
      var canAck = !b.found.acked && b.item.login && !viewOnly;
      var button = li.querySelector("button");
      if (canAck && !button) {
        button = document.createElement("button");
        button.type = "button";
        button.textContent = strip.dataset.ackLabel;
        li.appendChild(button);
      } else if (!canAck && button) { li.removeChild(button); button = null; }
      if (button) {
        button.setAttribute("data-ack-login", b.item.login);
        button.setAttribute("aria-label", strip.dataset.ackLabel + ": " + b.item.subject);
      }
      li.toggleAttribute("data-acked", b.found.acked);
      if (li.getAttribute("data-level") !== b.found.level) li.setAttribute("data-level", b.found.level);
      if (a.getAttribute("href") !== "#" + b.el.id) a.setAttribute("href", "#" + b.el.id);
      if (a.textContent !== text) a.textContent = text;
    });
    while (entries.length > breaches.length) list.removeChild(list.lastChild);
  }

  // An entry jumps to its row or tile (shown again if a filter hid it) and focuses it.
  document.addEventListener("click", function (e) {
    var link = e.target.closest("[data-attention-list] a");
    if (!link) return;
    e.preventDefault();
    var target = document.getElementById(link.getAttribute("href").slice(1));
    if (!target) return;
    if (target.hidden) {
      var form = document.querySelector("[data-filters]");
      if (form) {
        ["group", "status", "q"].forEach(function (name) { if (form.elements[name]) form.elements[name].value = ""; });
        form.dispatchEvent(new Event("change", { bubbles: true }));
      }
    }
    if (!target.hasAttribute("tabindex")) target.setAttribute("tabindex", "-1");
    target.scrollIntoView({ block: "center" });
    target.focus({ preventScroll: true });
    target.classList.add("attention-target");
    setTimeout(function () { target.classList.remove("attention-target"); }, 2000);
  });

  // Acknowledge: silences the breach on every board (the server records who, and pushes it).
  document.addEventListener("click", function (e) {
    var button = e.target.closest("[data-attention] [data-ack-login]");
    if (!button || !window.htmx) return;
    var strip = button.closest("[data-attention]");
    var url = strip.dataset.ackUrl.replace("__login__", encodeURIComponent(button.dataset.ackLogin));
    htmx.ajax("POST", url, { source: button, swap: "none" });
  });

  document.addEventListener("htmx:wsAfterMessage", run);
  document.addEventListener("DOMContentLoaded", function () {
    if (!document.querySelector("[data-attention]")) return;
    var box = document.querySelector("[data-alert-notify]");
    if (box) box.checked = localStorage.getItem(NOTIFY_KEY) === "1";
    run();
    setInterval(run, 1000);
  });
})();
