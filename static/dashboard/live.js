// Thulium Live: the little the browser does itself. Counters tick here with no server traffic;
// filters run here so a live row that starts or stops matching shows or hides at once;
// the websocket's health is shown plainly and a lost socket is always retried.
(function () {
  "use strict";

  function pad(n) { return n < 10 ? "0" + n : "" + n; }

  function formatDuration(seconds) {
    seconds = Math.max(0, Math.floor(seconds));
    var h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
    return h ? h + ":" + pad(m) + ":" + pad(s) : m + ":" + pad(s);
  }
  window.thuliumFormatDuration = formatDuration;

  function setText(el, text) {
    // nodeValue, not textContent: no childList mutations for the row observer to wade through.
    if (!el.firstChild) el.appendChild(document.createTextNode(text));
    else if (el.firstChild.nodeValue !== text) el.firstChild.nodeValue = text;
  }

  function tickOne(el, now) {
    var since = Date.parse(el.getAttribute("data-since"));
    if (!isNaN(since)) setText(el, formatDuration((now - since) / 1000));
  }

  function tick(root) {
    var now = Date.now();
    (root || document).querySelectorAll("[data-since]").forEach(function (el) { tickOne(el, now); });
    // Today's time in pauses: the pauses that ended, plus the one running now.
    (root || document).querySelectorAll("[data-paused-from]").forEach(function (el) {
      var from = Date.parse(el.getAttribute("data-paused-from"));
      if (!isNaN(from)) setText(el, formatDuration(Number(el.dataset.paused) + (now - from) / 1000));
    });
  }

  // --- A row's buttons: one <template> per status in the page (board.html#row-actions), copied
  // into each row as it arrives, each button naming its agent for screen readers. ------------
  var actionSets = {};
  function fillActions(row) {
    var cell = row.querySelector("td.actions");
    if (!cell || cell.firstChild) return;
    var status = row.dataset.status;
    if (!(status in actionSets)) {
      actionSets[status] = document.querySelector('template[data-actions-for="' + status + '"]');
    }
    if (!actionSets[status]) return;
    var who = row.querySelector(".who strong");
    var name = " " + (who ? who.textContent : row.dataset.login);
    var buttons = actionSets[status].content.cloneNode(true);
    buttons.querySelectorAll("button, summary").forEach(function (b) {
      b.setAttribute("aria-label", b.textContent + name);
    });
    cell.appendChild(buttons);
  }
  function fillAllActions(root) {
    if (root.matches && root.matches("tr.agent")) fillActions(root);
    else root.querySelectorAll("tr.agent").forEach(fillActions);
  }

  // An agent row's timer ticks only while the row is on screen: a thousand text changes a
  // second would keep the browser re-laying out the board and late with every live message.
  var onScreen = new Set();
  var rowWatcher = "IntersectionObserver" in window ? new IntersectionObserver(function (entries) {
    entries.forEach(function (entry) {
      if (entry.isIntersecting) { onScreen.add(entry.target); tick(entry.target); }
      else onScreen.delete(entry.target);
    });
  }) : null;

  function watchRow(row) { if (rowWatcher) rowWatcher.observe(row); }
  function forgetRow(row) {  // a row replaced by a live update: no longer watched or ticked
    if (rowWatcher) rowWatcher.unobserve(row);
    onScreen.delete(row);
  }

  function tickAll() {
    if (!rowWatcher) { tick(); return; }
    onScreen.forEach(function (row) {
      if (row.isConnected) tick(row); else onScreen.delete(row);  // replaced by a live update
    });
    var now = Date.now();  // queue tiles, wallboards: every timer
    document.querySelectorAll("[data-since]:not(tr.agent [data-since])").forEach(function (el) {
      tickOne(el, now);
    });
  }

  // --- Filters (kept in the URL) -----------------------------------------------------------
  function filterState() {
    var form = document.querySelector("[data-filters]");
    if (!form) return null;
    return {
      form: form,
      group: form.elements.group.value,
      status: form.elements.status.value,
      q: form.elements.q.value.trim().toLowerCase(),
      hideOff: form.elements.hide_off.checked,
      queue: form.elements.queue.value,
      queueGroups: queueGroups(form.elements.queue.value),
    };
  }

  // The agent groups serving a queue, from its tile (set in admin, or learned from its calls).
  function queueGroups(key) {
    if (!key) return null;
    var line = document.getElementById("queue-" + key + "-agents");
    var groups = line ? line.dataset.groups.split(" ").filter(Boolean) : [];
    return groups;
  }

  function matches(row, f) {
    return (!f.group || row.dataset.group === f.group) &&
      (!f.status || row.dataset.status === f.status) &&
      (!f.hideOff || row.dataset.status !== "OFF") &&
      (!f.queueGroups || f.queueGroups.indexOf(row.dataset.group) !== -1) &&
      (!f.q || row.cells[0].textContent.toLowerCase().indexOf(f.q) !== -1);
  }

  function applyFilters(rows) {
    var f = filterState();
    if (!f) return;
    (rows || document.querySelectorAll("tr.agent")).forEach(function (row) {
      var hide = !matches(row, f);
      if (row.hidden !== hide) row.hidden = hide;
    });
    document.querySelectorAll("[data-status-filter]").forEach(function (a) {
      a.classList.toggle("active", a.dataset.statusFilter === f.status);
    });
    if (!rows) showQueueFilter(f);
  }

  // --- A queue tile opens the agents who serve it -----------------------------------------------
  function showQueueFilter(f) {
    var note = document.querySelector("[data-queue-filter-note]");
    if (!note) return;
    var tile = f.queue && document.getElementById("queue-" + f.queue);
    note.hidden = !f.queue;
    if (f.queue) {
      var name = tile && tile.querySelector("[data-queue-agents]");
      note.querySelector("[data-queue-filter-name]").textContent = name ? name.textContent : f.queue;
      note.querySelector("[data-queue-filter-none]").hidden = f.queueGroups.length > 0;
    }
    document.querySelectorAll("[data-queue-agents]").forEach(function (b) {
      var on = !!f.queue && b.closest(".queue-tile").id === "queue-" + f.queue;
      b.setAttribute("aria-pressed", on ? "true" : "false");
    });
  }
  function chooseQueue(key) {
    var f = filterState();
    if (!f) return;
    f.form.elements.queue.value = key;
    applyFilters(); syncUrl();
  }
  document.addEventListener("click", function (e) {
    var button = e.target.closest("[data-queue-agents]");
    if (button) {
      var key = button.closest(".queue-tile").dataset.queue;
      var f = filterState();
      chooseQueue(f && f.queue === key ? "" : key);  // a second click shows everyone again
    } else if (e.target.closest("[data-queue-filter-clear]")) {
      chooseQueue("");
      var table = document.querySelector("table.agents");
      if (table) table.scrollIntoView({ block: "nearest" });
    }
  });

  // Live rows arrive one by one: filter and tick just those, not the whole board.
  function watchRows(table) {
    new MutationObserver(function (records) {
      var rows = [];
      records.forEach(function (record) {
        record.addedNodes.forEach(function (node) {
          if (node.nodeType !== 1) return;
          if (node.matches("tr.agent")) rows.push(node);
          else if (node.matches("tbody")) rows.push.apply(rows, node.querySelectorAll("tr.agent"));
        });
      });
      if (rows.length) {
        applyFilters(rows);
        rows.forEach(function (row) { fillActions(row); tick(row); watchRow(row); });
        sortSoon();
      }
    }).observe(table, { childList: true, subtree: true });
  }

  // --- Sorting (kept in the URL, like the filters) -------------------------------------------
  var STATUS_ORDER = ["FREE", "RINGING", "INBOUND_CALL", "OUTBOUND_CALL", "CALL",
    "OUTBOUND_PREVIEW", "PAUSED", "OFF"];

  function nameKey(row) {
    // The server's key (surname, name, login in Polish alphabetical order: Ł after L).
    if (row.dataset.sort) return row.dataset.sort;
    var name = row.cells[0].querySelector("strong").textContent.toLowerCase();
    return name.split(" ").pop() + " " + name;  // surname first, as the server sorts
  }

  var SORT_KEYS = {
    name: nameKey,
    group: function (row) { return (row.cells[1].textContent.toLowerCase() || "\uffff") + " " + nameKey(row); },
    status: function (row) {
      var i = STATUS_ORDER.indexOf(row.dataset.status);
      return String(i < 0 ? 99 : i).padStart(2, "0") + " " + nameKey(row);
    },
    since: function (row) {  // the longest first, logged-off agents last
      var t = row.querySelector("[data-since]");
      var off = row.dataset.status === "OFF" ? "1" : "0";
      return off + (t ? String(Date.parse(t.dataset.since)).padStart(15, "0") : "~");
    },
  };

  function currentSort() {
    return new URLSearchParams(location.search).get("sort") || "";
  }

  function sortRows() {
    var key = SORT_KEYS[currentSort()];
    var body = document.getElementById("agent-rows");
    if (!key || !body) return;
    var rows = Array.prototype.slice.call(body.querySelectorAll("tr.agent"));
    var keyed = rows.map(function (row) { return [key(row), row]; });
    keyed.sort(function (a, b) { return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0; });
    var moved = keyed.some(function (pair, i) { return pair[1] !== rows[i]; });
    if (moved) keyed.forEach(function (pair) { body.appendChild(pair[1]); });
  }

  // Live changes may move a row: re-sort at most once a second, not once per message.
  var sortPending = false;
  function sortSoon() {
    if (sortPending || !currentSort()) return;
    sortPending = true;
    setTimeout(function () { sortPending = false; sortRows(); }, 1000);
  }

  document.addEventListener("click", function (e) {
    var link = e.target.closest("a[data-sort]");
    if (!link) return;
    e.preventDefault();
    var params = new URLSearchParams(location.search);
    params.set("sort", link.dataset.sort);
    history.replaceState(null, "", location.pathname + "?" + params.toString());
    document.querySelectorAll("a[data-sort]").forEach(function (a) {
      a.classList.toggle("active", a === link);
    });
    sortRows();
  });

  // --- Row actions (one delegated handler; rows carry only data-action) ---------------------
  document.addEventListener("click", function (e) {
    var who = e.target.closest("tr.agent td.who");
    if (who && window.htmx) {  // the agent's day so far (a link: the keyboard opens it too)
      e.preventDefault();
      var template = who.closest("[data-action-url]").dataset.actionUrl;
      var login = encodeURIComponent(who.parentElement.dataset.login);
      var url = template.replace("__login__", login).replace("__action__/", "today/");
      htmx.ajax("GET", url, { source: who, target: "#action-dialog-body" });
    }
  });
  document.addEventListener("click", function (e) {
    var button = e.target.closest("tr.agent [data-action]");
    if (!button || !window.htmx) return;
    var row = button.closest("tr.agent");
    var menu = button.closest("details");
    if (menu) menu.open = false;
    var template = row.closest("[data-action-url]").dataset.actionUrl;
    var url = template.replace("__login__", encodeURIComponent(row.dataset.login))
      .replace("__action__", button.dataset.action);
    if (button.hasAttribute("data-dialog")) {
      htmx.ajax("GET", url + "form/", { source: button, target: "#action-dialog-body" });
      return;
    }
    var who = row.querySelector(".who strong").textContent;
    if (button.dataset.confirm && !window.confirm(button.dataset.confirm + " " + who + "?")) return;
    // From the table, not the button: the live update the action causes replaces the row
    // (and the button) before the answer arrives, and htmx drops the answer of a detached
    // source, toast and all.
    htmx.ajax("POST", url, { source: row.closest("table"), swap: "none" });
  });

  // A call's controls (a <details> in the row) close on Escape and on a click elsewhere.
  function closeMenus(except) {
    document.querySelectorAll("details.call-control[open]").forEach(function (d) {
      if (d !== except) d.open = false;
    });
  }
  document.addEventListener("click", function (e) { closeMenus(e.target.closest("details.call-control")); });
  document.addEventListener("keydown", function (e) {
    var menu = e.key === "Escape" && e.target.closest && e.target.closest("details.call-control[open]");
    if (menu) { menu.open = false; menu.querySelector("summary").focus(); }
  });

  function syncUrl() {
    var f = filterState();
    if (!f) return;
    var params = new URLSearchParams();
    if (f.group) params.set("group", f.group);
    if (f.status) params.set("status", f.status);
    if (f.form.elements.q.value.trim()) params.set("q", f.form.elements.q.value.trim());
    if (f.queue) params.set("queue", f.queue);
    if (currentSort()) params.set("sort", currentSort());
    var query = params.toString();
    history.replaceState(null, "", location.pathname + (query ? "?" + query : ""));
  }

  // "Hide logged off", kept in this browser; the cookie lets the server leave those rows
  // hidden from the first paint (dashboard/views/agents.py), not hide them a moment later.
  function rememberHideOff(on) {
    try { localStorage.setItem("thulium-hide-off", on ? "1" : ""); } catch (err) { /* private */ }
    document.cookie = "thulium-hide-off=" + (on ? "1" : "") + "; path=/; max-age=31536000; SameSite=Lax";
  }

  document.addEventListener("input", function (e) {
    if (e.target.closest("[data-filters]")) { applyFilters(); syncUrl(); }
  });
  document.addEventListener("change", function (e) {
    if (e.target.matches("[data-hide-off]")) rememberHideOff(e.target.checked);
    if (e.target.closest("[data-filters]")) { applyFilters(); syncUrl(); }
  });
  document.addEventListener("submit", function (e) {
    if (e.target.matches("[data-filters]")) { e.preventDefault(); applyFilters(); syncUrl(); }
  });
  document.addEventListener("click", function (e) {
    var link = e.target.closest("[data-status-filter]");
    var f = filterState();
    if (link && f) {
      e.preventDefault();
      var status = link.dataset.statusFilter;
      f.form.elements.status.value = f.status === status ? "" : status;
      applyFilters(); syncUrl();
    }
    if (e.target.closest("[data-close-dialog]")) {
      var dialog = e.target.closest("dialog");
      if (dialog) dialog.close();
    }
  });

  // --- Action dialog ----------------------------------------------------------------------
  document.addEventListener("htmx:afterSwap", function (e) {
    var dialog = document.querySelector("[data-action-dialog]");
    if (dialog && e.detail.target && e.detail.target.id === "action-dialog-body") {
      if (e.detail.target.children.length && !dialog.open) dialog.showModal();
      var first = dialog.querySelector("select, input:not([type=hidden])");
      if (first) first.focus();
    }
  });
  document.body && document.body.addEventListener("action-done", closeDialog);
  document.addEventListener("action-done", closeDialog);
  function closeDialog() {
    var dialog = document.querySelector("[data-action-dialog]");
    if (dialog && dialog.open) dialog.close();
  }

  // Toasts fade by themselves.
  new MutationObserver(function (mutations) {
    mutations.forEach(function (m) {
      m.addedNodes.forEach(function (node) {
        if (node.nodeType === 1 && node.classList.contains("toast")) {
          setTimeout(function () { node.remove(); }, node.classList.contains("toast-error") ? 15000 : 5000);
        }
      });
    });
  }).observe(document.getElementById("toasts") || document.body, { childList: true });

  // Pages that only show agents' statuses (a campaign's agents, the agent picker) follow the
  // board's feed and update just those badges, instead of swapping rows they do not have.
  document.addEventListener("htmx:wsBeforeMessage", function (e) {
    if (!e.target.hasAttribute("data-status-feed")) return;
    e.preventDefault();
    var message = document.createElement("template");
    message.innerHTML = e.detail.message;
    message.content.querySelectorAll("tr.agent").forEach(function (row) {
      var label = row.querySelector("[data-field=status]").textContent;
      var selector = '[data-agent-status="' + CSS.escape(row.dataset.login) + '"]';
      document.querySelectorAll(selector).forEach(function (badge) {
        badge.className = "badge status-" + row.dataset.status;
        badge.textContent = label;
      });
    });
  });

  // --- Live connection health ------------------------------------------------------------
  var retries = 0;
  function banner(show) {
    var el = document.querySelector("[data-live-banner]");
    if (!el) return;
    if (show && el.hidden) {
      var zone = document.documentElement.dataset.timeZone;  // Thulium's, as the server's times
      el.querySelector("[data-live-lost]").textContent =
        new Date().toLocaleTimeString("en-GB", zone ? { timeZone: zone } : {});
    }
    el.hidden = !show;
    document.documentElement.classList.toggle("live-lost", show);
  }
  // The server sends every screen a heartbeat (its health banner) through the channel layer
  // every 5 s: an open socket that hears none for SILENT_MS (Redis or the event processor
  // down) is as stale as a closed one: say so and reconnect, for a fresh snapshot.
  var SILENT_MS = 15000, lastBeat = Date.now(), socket = null;
  document.addEventListener("htmx:wsOpen", function (e) {
    retries = 0; banner(false); lastBeat = Date.now();
    socket = e.detail.event && e.detail.event.target;
  });
  document.addEventListener("htmx:wsBeforeMessage", function (e) {
    if (e.detail.message.indexOf("data-heartbeat") !== -1) lastBeat = Date.now();
  });
  setInterval(function () {
    if (socket && socket.readyState === 1 && Date.now() - lastBeat > SILENT_MS) {
      socket.close(4000, "no heartbeat");
      socket = null;
    }
  }, 1000);
  document.addEventListener("htmx:wsClose", function (e) {
    banner(true);
    var code = e.detail.event && e.detail.event.code;
    if (code === 4401) {  // session ended or access taken away: reload, to the login page
      var last = Number(sessionStorage.getItem("live-4401") || 0);
      if (Date.now() - last > 30000) {  // at most once in 30 s: never a reload loop
        sessionStorage.setItem("live-4401", String(Date.now()));
        location.reload();
      }
      return;
    }
    if (code === 4404) return;                                   // wallboard link revoked
    if ([1006, 1011, 1012, 1013].indexOf(code) === -1) {         // the extension retries those
      var delay = Math.min(30000, 1000 * Math.pow(2, retries++)) * (0.5 + Math.random() / 2);
      setTimeout(function () { e.detail.socketWrapper.reconnect(); }, delay);
    }
  });
  // A new status-counts list arrives with each change: keep the chosen one marked.
  function markFilter(counts) {
    var f = filterState();
    if (f) counts.querySelectorAll("[data-status-filter]").forEach(function (a) {
      a.classList.toggle("active", a.dataset.statusFilter === f.status);
    });
  }
  document.addEventListener("htmx:oobAfterSwap", function (e) {
    if (e.target.id === "status-counts") markFilter(e.target);
  });

  // The board's messages (rows, counts, tiles, banners: every top-level element replaces the
  // one with its id) are swapped in here: plain replaceWith, none of htmx's per-element
  // processing and settling, which made each message of many rows cost the browser 100 ms
  // and more on a board of 1,000 agents. A row new to the board is added to it.
  document.addEventListener("htmx:wsBeforeMessage", function (e) {
    var socketElt = e.target;
    if (!socketElt.matches(".board[data-live]")) return;
    e.preventDefault();
    var message = document.createElement("template");
    message.innerHTML = e.detail.message;
    Array.prototype.slice.call(message.content.children).forEach(function (el) {
      if (el.matches("tr.agent, #agent-rows")) fillAllActions(el);
      var old = el.id && document.getElementById(el.id);
      if (old) {
        var refocus = old.contains(document.activeElement) && focusOf(document.activeElement);
        // An open call menu stays open when its row changes (say, the caller's name arrives).
        var menu = old.matches("tr.agent") && old.querySelector("details.call-control[open]");
        // The chosen queue's agents are filtered by its groups: again only if they changed.
        var regroup = old.matches(".agents-line") && old.dataset.groups !== el.dataset.groups;
        if (old.matches("tr.agent")) forgetRow(old);
        else if (old.id === "agent-rows") old.querySelectorAll("tr.agent").forEach(forgetRow);
        old.replaceWith(el);
        if (el.matches(".caller-slot")) {  // a caller's name learned: the cell's tooltip too
          if (el.dataset.title) el.parentNode.title = el.dataset.title;
          else el.parentNode.removeAttribute("title");
        }
        if (menu && el.querySelector("details.call-control")) el.querySelector("details.call-control").open = true;
        if (refocus) refocus();
      }
      else if (el.matches("tr.agent") && document.getElementById("agent-rows")) {
        document.getElementById("agent-rows").appendChild(el);
      } else return;
      if (el.id === "status-counts") markFilter(el);
      if (el.id === "queue-panel") { queueOrder = null; applyFilters(); }
      else if (regroup && filterState() && "queue-" + filterState().queue + "-agents" === el.id) applyFilters();
      if (window.htmx && el.querySelector("[hx-get], [hx-post]")) htmx.process(el);
    });
    orderQueues();
    socketElt.dispatchEvent(new CustomEvent("htmx:wsAfterMessage",
      { bubbles: true, detail: { message: e.detail.message } }));
  });

  // "Queue details": each tile's table of numbers, shown or not, remembered in this browser.
  function queueDetails(show) {
    var board = document.querySelector(".board[data-live]");
    var button = document.querySelector("[data-queue-details-toggle]");
    if (!board || !button) return;
    board.toggleAttribute("data-queue-details", show);
    button.setAttribute("aria-pressed", show ? "true" : "false");
  }
  document.addEventListener("click", function (e) {
    if (!e.target.closest("[data-queue-details-toggle]")) return;
    var show = !document.querySelector(".board[data-queue-details]");
    try { localStorage.setItem("thulium-queue-details", show ? "1" : ""); } catch (err) { /* private */ }
    queueDetails(show);
  });
  document.addEventListener("DOMContentLoaded", function () {
    var show = false;
    try { show = !!localStorage.getItem("thulium-queue-details"); } catch (err) { /* private */ }
    queueDetails(show);
  });

  // "Worst queues first": tiles over a threshold (red, then amber), then the most waiting, then
  // the longest wait; remembered in this browser. Kept in order every second (alerts.js moves a
  // tile's level as its wait grows) and after every live message; off: the server's order.
  var queueOrder = null;  // the server's order of the tiles (ids), read when the panel arrives
  var LEVEL = { red: 2, amber: 1 };
  function worstFirst() { return !!document.querySelector(".board[data-queue-worst]"); }
  function tileKey(tile) {
    var waiting = tile.querySelector("[data-field=waiting]");
    var longest = tile.querySelector("[data-field=longest]");
    var since = longest && Date.parse(longest.getAttribute("data-since"));
    return [LEVEL[tile.getAttribute("data-alert")] || 0,
      waiting ? Number(waiting.textContent) || 0 : 0, since ? -since : -Infinity];
  }
  function orderQueues() {
    var panel = document.getElementById("queue-panel");
    if (!panel) return;
    var tiles = Array.prototype.slice.call(panel.querySelectorAll(":scope > .queue-tile"));
    if (!queueOrder) queueOrder = tiles.map(function (t) { return t.id; });
    var sorted = tiles.slice();
    if (worstFirst()) {
      var keys = new Map(tiles.map(function (t) { return [t, tileKey(t)]; }));
      sorted.sort(function (a, b) {
        var x = keys.get(a), y = keys.get(b);
        return (y[0] - x[0]) || (y[1] - x[1]) || (y[2] > x[2] ? 1 : y[2] < x[2] ? -1 : 0) ||
          queueOrder.indexOf(a.id) - queueOrder.indexOf(b.id);
      });
    } else {
      sorted.sort(function (a, b) {
        var i = queueOrder.indexOf(a.id), j = queueOrder.indexOf(b.id);
        return (i < 0 ? 1e9 : i) - (j < 0 ? 1e9 : j);
      });
    }
    if (!sorted.some(function (t, i) { return t !== tiles[i]; })) return;
    var focused = panel.contains(document.activeElement) && document.activeElement;
    sorted.forEach(function (t) { panel.appendChild(t); });
    if (focused && focused.isConnected) focused.focus({ preventScroll: true });
  }
  function queueWorst(on) {
    var board = document.querySelector(".board[data-live]");
    var button = document.querySelector("[data-queue-worst-toggle]");
    if (!board || !button) return;
    board.toggleAttribute("data-queue-worst", on);
    button.setAttribute("aria-pressed", on ? "true" : "false");
    orderQueues();
  }
  document.addEventListener("click", function (e) {
    if (!e.target.closest("[data-queue-worst-toggle]")) return;
    var on = !worstFirst();
    try { localStorage.setItem("thulium-queue-worst", on ? "1" : ""); } catch (err) { /* private */ }
    queueWorst(on);
  });

  // A row updated live (alone, or with the whole table) keeps the keyboard focus where it
  // was: on the same button or link of the same agent's row.
  function focusOf(was) {
    var row = was.closest("tr.agent");
    var same = was.dataset.action ? '[data-action="' + was.dataset.action + '"]'
      : was.hasAttribute("data-day") ? "[data-day]"
      : was.matches("details.call-control > summary") ? "details.call-control > summary" : null;
    if (!row || !same) return null;
    return function () {
      var now = document.getElementById(row.id);
      var target = now && now.querySelector(same);
      if (target) target.focus({ preventScroll: true });
    };
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (window.htmx) htmx.config.wsReconnectDelay = function (n) {
      return Math.min(30000, 500 * Math.pow(2, n)) * (0.5 + Math.random() / 2);
    };
    var form = document.querySelector("[data-filters]");
    if (form) {
      var hideOff = false;
      try { hideOff = !!localStorage.getItem("thulium-hide-off"); } catch (err) { /* private */ }
      form.elements.hide_off.checked = hideOff || form.elements.hide_off.checked;
      rememberHideOff(form.elements.hide_off.checked);
      form.elements.queue.value = new URLSearchParams(location.search).get("queue") || "";
    }
    var worst = false;
    try { worst = !!localStorage.getItem("thulium-queue-worst"); } catch (err) { /* private */ }
    queueWorst(worst);
    fillAllActions(document);
    applyFilters();
    tick();
    document.querySelectorAll("tr.agent").forEach(watchRow);
    setInterval(tickAll, 1000);
    setInterval(orderQueues, 1000);
    document.querySelectorAll("table.agents").forEach(watchRows);
  });
})();
