// The live supervision board. The page works without it (reload to see
// changes); with it, the board listens to /supervision/stream (server-sent
// events) and updates in place the rows on the page (state badge, output,
// duration), the counts at the top, and a "live" indicator. A change of a
// check that is not on the page is not drawn: when it is a new problem, a
// banner offers to refresh. The same script keeps the check page's status
// current. No inline script: the texts come from data attributes.
(function () {
  "use strict";
  var board = document.getElementById("board");
  if (!board || !board.dataset.stream || !window.EventSource) { return; }

  var labels = JSON.parse(board.dataset.labels || "{}");
  var durations = JSON.parse(board.dataset.durations || "{}");
  var live = document.getElementById("board-live");
  var stale = document.getElementById("board-stale");

  // format fills %s, %d and %02d in order, like the server's messages.
  function format(text) {
    var args = Array.prototype.slice.call(arguments, 1), i = 0;
    return String(text).replace(/%(02)?[sd]/g, function (m, pad) {
      var v = args[i++];
      if (pad && v < 10) { return "0" + v; }
      return String(v);
    });
  }

  // span writes a duration as the server does: "12 min", "3 h 05", "2 j 4 h".
  function span(ms) {
    var m = Math.round(Math.abs(ms) / 60000);
    var days = Math.floor(m / 1440), hours = Math.floor((m % 1440) / 60), mins = m % 60;
    if (days > 0) { return format(durations.dh, days, hours); }
    if (hours > 0) { return format(durations.hm, hours, mins); }
    return format(durations.m, mins);
  }

  function setTime(el, iso, kind) {
    if (!el) { return; }
    if (!iso || iso.indexOf("0001-") === 0) {
      el.removeAttribute("datetime");
      el.textContent = kind === "last" ? durations.never : "—";
      return;
    }
    // Go writes nanoseconds; the date format browsers must read has milliseconds.
    el.setAttribute("datetime", iso.replace(/(\.\d{3})\d+/, "$1"));
    refreshTime(el);
  }

  function refreshTime(el) {
    var iso = el.getAttribute("datetime");
    if (!iso) { return; }
    var ms = Date.now() - Date.parse(iso);
    if (el.dataset.field === "last") {
      el.textContent = ms < 60000 ? durations.now : format(durations.ago, span(ms));
    } else {
      el.textContent = format(durations["for"], span(ms));
    }
  }

  function flag(cls, text) {
    var s = document.createElement("span");
    s.className = "sv-flag sv-flag-" + cls;
    s.textContent = text;
    return s;
  }

  // badge rebuilds the state cell as the "sv-badge" template draws it.
  function badge(cell, ev, max, maintenance) {
    cell.textContent = "";
    var b = document.createElement("span");
    b.className = "sv-badge sv-" + ev.state;
    b.textContent = labels[ev.state] || ev.label;
    cell.appendChild(b);
    var add = function (el) { cell.appendChild(document.createTextNode(" ")); cell.appendChild(el); };
    if (ev.state !== "ok" && ev.state !== "pending") {
      add(ev.type === "soft" ? flag("soft", format(labels.soft, ev.attempt, Math.max(max, ev.attempt))) : flag("hard", labels.hard));
    }
    if (ev.ack) { add(flag("ack", labels.ack)); }
    if (ev.flapping) { add(flag("flapping", labels.flapping)); }
    if (maintenance) { add(flag("maintenance", labels.maintenance)); }
  }

  function apply(ev) {
    var targets = board.querySelectorAll('[data-check="' + ev.check_id + '"]');
    if (targets.length === 0) {
      if (ev.problem && stale && board.dataset.firstPage) { stale.hidden = false; }
      return;
    }
    targets.forEach(function (el) {
      var cell = el.querySelector('[data-field="badge"]');
      if (cell) { badge(cell, ev, parseInt(el.dataset.max, 10) || 1, el.dataset.maintenance === "1"); }
      var out = el.querySelector('[data-field="output"]');
      if (out) { out.textContent = ev.output || (out.tagName === "PRE" ? "—" : ""); }
      setTime(el.querySelector('[data-field="since"]'), ev.since, "since");
      setTime(el.querySelector('[data-field="last"]'), ev.last_check, "last");
      if (el.classList.contains("sv-row")) {
        el.className = el.className.replace(/\bsv-row-[a-z]+\b/, "sv-row-" + ev.state);
        // A short highlight says which row just changed.
        el.classList.remove("sv-changed");
        void el.offsetWidth;
        el.classList.add("sv-changed");
      }
      el.dataset.state = ev.state;
    });
  }

  function counts(c) {
    Object.keys(c).forEach(function (key) {
      var el = board.querySelector('[data-count="' + key + '"]');
      if (!el) { return; }
      var n = el.querySelector(".sv-count-n");
      if (n) { n.textContent = String(c[key]); }
      el.classList.toggle("is-zero", c[key] === 0);
    });
    var total = document.getElementById("board-total");
    if (total && typeof c.total === "number") { total.textContent = String(c.total); }
  }

  function indicate(on) {
    if (!live) { return; }
    live.hidden = false;
    live.classList.toggle("is-live", on);
    live.querySelector(".live-text").textContent = on ? live.dataset.live : live.dataset.offline;
  }

  var source = null;
  function connect() {
    source = new EventSource(board.dataset.stream);
    source.addEventListener("open", function () { indicate(true); });
    source.addEventListener("status", function (e) { apply(JSON.parse(e.data)); });
    source.addEventListener("counts", function (e) { counts(JSON.parse(e.data)); });
    source.addEventListener("error", function () {
      indicate(false);
      // The browser reconnects by itself unless the server refused the
      // stream (signed out, 403): then this tries again every 15 s.
      if (source.readyState === EventSource.CLOSED) {
        source = null;
        window.setTimeout(connect, 15000);
      }
    });
  }
  connect();
  window.addEventListener("pagehide", function () { if (source) { source.close(); source = null; } });
  window.addEventListener("pageshow", function (e) { if (e.persisted && !source) { connect(); } });

  // Durations move on even when nothing changes.
  window.setInterval(function () {
    board.querySelectorAll('time[data-field="since"], time[data-field="last"]').forEach(refreshTime);
  }, 30000);
})();
