/* SessionOptimizer dashboard glue: live updates from the SSE stream, ticking durations, the trend chart.
   No eval, no inline handlers; every server string is inserted with textContent (never innerHTML). */
(function () {
  "use strict";

  function fmtDuration(seconds) {
    var s = Math.max(0, Math.floor(seconds));
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    var mm = (h > 0 && m < 10 ? "0" : "") + m, rr = (r < 10 ? "0" : "") + r;
    return (h > 0 ? h + ":" : "") + mm + ":" + rr;
  }

  function tick() {
    var els = document.querySelectorAll("[data-started]");
    for (var i = 0; i < els.length; i++) {
      var t = Date.parse(els[i].getAttribute("data-started"));
      if (!isNaN(t)) { els[i].textContent = fmtDuration((Date.now() - t) / 1000); }
    }
  }

  function trigger(name) {
    if (window.htmx) { window.htmx.trigger(document.body, name); }
  }

  function addAlert(alert) {
    var feed = document.getElementById("alert-feed");
    if (!feed) { return; }
    var placeholder = feed.querySelector(".muted");
    if (placeholder) { feed.removeChild(placeholder); }
    var li = document.createElement("li");
    var sev = document.createElement("span");
    sev.className = "sev " + String(alert.priority || "").toLowerCase();
    sev.textContent = alert.priority || "";
    li.appendChild(sev);
    li.appendChild(document.createTextNode(" [" + (alert.agent || "") + "] " + (alert.message || "")));
    feed.insertBefore(li, feed.firstChild);
  }

  function connect() {
    if (document.body.getAttribute("data-live") !== "1" || !window.EventSource) { return; }
    var status = document.getElementById("live-status");
    var es = new EventSource("/api/stream");
    es.onopen = function () { if (status) { status.classList.add("on"); } document.body.setAttribute("data-stream", "open"); };
    es.onerror = function () { if (status) { status.classList.remove("on"); } };
    ["session_start", "session_end", "tokens"].forEach(function (name) {
      es.addEventListener(name, function () { trigger("so-live"); });
    });
    ["session_end", "alert"].forEach(function (name) {
      es.addEventListener(name, function () { trigger("so-refresh"); });
    });
    es.addEventListener("alert", function (ev) {
      try { addAlert(JSON.parse(ev.data)); } catch (e) { /* ignore a malformed frame */ }
    });
  }

  var PALETTE = ["#2f5bd3", "#c62828", "#2e7d32", "#b26a00", "#6a1b9a", "#00838f", "#ad1457", "#5d4037"];

  function drawTrend(el, data) {
    var xs = data.dates.map(function (d) { return Date.parse(d + "T12:00:00") / 1000; });
    var series = [{}], values = [xs];
    Object.keys(data.agents).sort().forEach(function (agent, i) {
      series.push({ label: agent, stroke: PALETTE[i % PALETTE.length], width: 2, spanGaps: true,
                    points: { show: true }, value: function (u, v) { return v == null ? "-" : v.toFixed(1) + "%"; } });
      values.push(data.agents[agent]);
    });
    series.push({ label: "TEAM", stroke: "#1d2330", width: 3, dash: [6, 4], spanGaps: true, points: { show: true },
                  value: function (u, v) { return v == null ? "-" : v.toFixed(1) + "%"; } });
    values.push(data.team);
    el.textContent = "";
    var opts = {
      width: Math.max(320, el.clientWidth - 10), height: 300,
      scales: { x: { time: true, range: [xs[0] - 43200, xs[xs.length - 1] + 43200] }, y: { range: [0, 100] } },
      axes: [{ splits: function () { return xs; },
                 values: function (u, ticks) {
                   return ticks.map(function (t) {
                     return new Date(t * 1000).toLocaleDateString(undefined, { weekday: "short", month: "short", day: "numeric" });
                   });
                 } },
             { values: function (u, ticks) { return ticks.map(function (t) { return t + "%"; }); } }],
      series: series
    };
    var marks = (data.enablements || []).filter(function (e) { return data.dates.indexOf(e.date) >= 0; });
    opts.hooks = { draw: [function (u) {  // a dashed line on each day guidance or the guard was switched on/off
      var ctx = u.ctx;
      ctx.save();
      ctx.strokeStyle = "#6a1b9a";
      ctx.setLineDash([3, 3]);
      marks.forEach(function (m) {
        var x = Math.round(u.valToPos(Date.parse(m.date + "T12:00:00") / 1000, "x", true));
        ctx.beginPath(); ctx.moveTo(x, u.bbox.top); ctx.lineTo(x, u.bbox.top + u.bbox.height); ctx.stroke();
      });
      ctx.restore();
    }] };
    new window.uPlot(opts, values, el);
    el.setAttribute("data-series", String(series.length - 1));
    drawEnablements(el, marks);
  }

  function drawEnablements(el, marks) {
    var list = document.getElementById("trend-enablements");
    if (!list) { list = document.createElement("ul"); list.id = "trend-enablements"; list.className = "feed";
                 el.parentNode.appendChild(list); }
    list.textContent = "";
    marks.forEach(function (m) {  // textContent only: agent names never become markup
      var li = document.createElement("li");
      var change = m.waste_per_1k_tokens_pct == null ? "" :
        ", waste per 1k tokens since: " + (m.waste_per_1k_tokens_pct > 0 ? "+" : "") + m.waste_per_1k_tokens_pct + "%";
      li.textContent = m.date + " " + m.agent + ": " + m.kind + " " + m.action + change;
      list.appendChild(li);
    });
  }

  function loadTrend() {
    var el = document.getElementById("trend-chart");
    if (!el || !window.uPlot) { return; }
    fetch(el.getAttribute("data-src"), { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (data) { drawTrend(el, data); })
      .catch(function () { el.textContent = "Trend unavailable."; });
  }

  var MARK_COLORS = { cache_miss: "#c62828", compaction: "#6a1b9a", subagent: "#00838f", reread: "#b26a00" };

  function drawContext(el, data) {
    if (!data.t.length) { el.textContent = "No model calls with token counts."; return; }
    var tokens = function (u, v) { return v == null ? "-" : Math.round(v).toLocaleString(); };
    var series = [{}], names = [["cache read", "cache_read", "#2f5bd3"], ["cache write", "cache_write", "#b26a00"],
                                ["fresh input", "input", "#2e7d32"], ["output", "output", "#c62828"]];
    var values = [data.t];
    names.forEach(function (n) {
      series.push({ label: n[0], stroke: n[2], width: 2, value: tokens, points: { show: data.t.length < 60 } });
      values.push(data[n[1]]);
    });
    var marks = data.marks || [];
    var opts = {
      width: Math.max(320, el.clientWidth - 10), height: 320,
      scales: { x: { time: true } },
      axes: [{}, { size: 70, values: function (u, ticks) { return ticks.map(function (t) { return t.toLocaleString(); }); } }],
      series: series,
      hooks: { draw: [function (u) {
        var ctx = u.ctx, top = u.bbox.top, height = u.bbox.height;
        ctx.save();
        marks.forEach(function (m) {
          var x = Math.round(u.valToPos(m.t, "x", true));
          ctx.strokeStyle = MARK_COLORS[m.kind] || "#555";
          ctx.lineWidth = m.kind === "cache_miss" || m.kind === "compaction" ? 2 : 1;
          ctx.setLineDash(m.kind === "reread" ? [3, 3] : []);
          ctx.beginPath(); ctx.moveTo(x, top); ctx.lineTo(x, top + height); ctx.stroke();
        });
        ctx.restore();
      }] }
    };
    el.textContent = "";
    new window.uPlot(opts, values, el);
    el.setAttribute("data-marks", String(marks.length));
  }

  function loadContext() {
    var el = document.getElementById("context-plot"), src = document.getElementById("context-data");
    if (!el || !src || !window.uPlot) { return; }
    try { drawContext(el, JSON.parse(src.textContent)); } catch (e) { el.textContent = "Plot unavailable."; }
  }

  document.addEventListener("DOMContentLoaded", function () {
    tick();
    setInterval(tick, 1000);
    connect();
    loadTrend();
    loadContext();
    document.body.addEventListener("so-refresh", function () { setTimeout(loadTrend, 300); });
  });
})();
