// Results page self-refresh (served by nginx as src/oj.js).
//
// While any submission is queued or running, poll <token>.json with exponential
// backoff and jitter (2 s doubling to 30 s; back to 2 s when a submission changes
// status), update the list in place, and stop once nothing is pending. A failed poll
// only lengthens the wait. Polling pauses while the tab is hidden. Without this
// script the page is complete and has a refresh link.
(function () {
  "use strict";
  var MIN_DELAY = 2000, MAX_DELAY = 30000;
  var root = document.getElementById("oj");
  if (!root || !window.fetch) return;
  var url = root.getAttribute("data-json");
  var delay = MIN_DELAY, polls = 0, lastEtag = null, timer = null;
  var statuses = currentStatuses();

  function currentStatuses() {
    var m = {};
    var subs = root.querySelectorAll(".oj-sub");
    for (var i = 0; i < subs.length; i++) m[subs[i].id] = subs[i].getAttribute("data-status");
    return m;
  }
  function pending(s) { return s === "queued" || s === "running"; }
  function anyPending(m) {
    for (var k in m) if (pending(m[k])) return true;
    return false;
  }
  function showTime(iso) { return iso ? iso.slice(0, 19).replace("T", " ") : ""; }
  function fmtScore(v) { return Number.isInteger(v) ? String(v) : String(Math.round(v * 100) / 100); }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }
  function setPoll(text) {
    var p = document.getElementById("oj-poll");
    if (p) p.textContent = text;
  }
  function badgeClass(s) {
    if (s.status === "queued") return "text-bg-secondary";
    if (s.status === "running") return "text-bg-info";
    if (s.status === "judge_error") return "text-bg-dark";
    if (s.status !== "done") return "text-bg-light";
    if (s.verdict === "accepted") return "text-bg-success";
    if (s.verdict === "partial") return "text-bg-warning";
    return "text-bg-danger";
  }

  // Mirrors AppendSubmission in fcgi_app/results_render.cc.
  function renderSubmission(s, wasOpen) {
    var card = el("article", "card mb-3 oj-sub");
    card.id = "sub-" + s.id;
    card.setAttribute("data-status", s.status);
    var body = card.appendChild(el("div", "card-body"));
    var top = body.appendChild(el("div", "d-flex flex-wrap justify-content-between align-items-start gap-2"));
    var left = top.appendChild(el("div"));
    left.appendChild(el("code", "oj-id", s.id));
    if (s.late) { left.appendChild(document.createTextNode(" ")); left.appendChild(el("span", "badge text-bg-warning", "late")); }
    if (s.on_time_note) { left.appendChild(document.createTextNode(" ")); left.appendChild(el("span", "badge text-bg-info oj-on-time text-wrap", s.on_time_note)); }
    left.appendChild(el("div", "small text-body-secondary",
                        "Received " + showTime(s.received_at) + " \u00b7 " + s.size_bytes + " bytes"));
    top.appendChild(el("span", "badge " + badgeClass(s) + " oj-status text-wrap", s.status_text || s.status));
    if (s.score !== null || s.verdict !== null) {
      var sum = body.appendChild(el("div", "mt-2 oj-summary"));
      if (s.score !== null) {
        sum.appendChild(document.createTextNode("Score "));
        sum.appendChild(el("strong", null, fmtScore(s.score) + (s.max_score !== null ? " / " + fmtScore(s.max_score) : "")));
      }
      if (s.verdict !== null) {
        if (s.score !== null) sum.appendChild(document.createTextNode(" \u00b7 "));
        sum.appendChild(document.createTextNode("Verdict "));
        sum.appendChild(el("strong", null, s.verdict));
      }
    }
    var det = body.appendChild(el("details", "mt-2"));
    if (wasOpen) det.open = true;
    var passed = s.tests.filter(function (t) { return t.passed; }).length;
    det.appendChild(el("summary", null, "Details" + (s.tests.length ? ": " + passed + " of " + s.tests.length + " tests passed" : "")));
    var sha = det.appendChild(el("p", "small text-break mt-2 mb-2", "SHA-256 "));
    sha.appendChild(el("code", null, s.sha256));
    if (s.tests.length) {
      var wrap = det.appendChild(el("div", "table-responsive"));
      var table = wrap.appendChild(el("table", "table table-sm align-middle"));
      var hr = table.appendChild(el("thead")).appendChild(el("tr"));
      ["Test", "Result", "Message"].forEach(function (h) { hr.appendChild(el("th", null, h)); });
      var tb = table.appendChild(el("tbody"));
      s.tests.forEach(function (t) {
        var tr = tb.appendChild(el("tr"));
        tr.appendChild(el("td", null, t.name));
        tr.appendChild(el("td")).appendChild(t.passed ? el("span", "text-success", "\u2713 passed")
                                                      : el("span", "text-danger", "\u2717 failed"));
        tr.appendChild(el("td", "oj-msg", t.message));
      });
    }
    if (s.log) {
      det.appendChild(el("pre", "oj-log bg-body-tertiary border rounded p-2 small", s.log));
      if (s.log_truncated) det.appendChild(el("p", "small text-body-secondary oj-trunc", "The log was truncated."));
    } else if (!pending(s.status)) {
      det.appendChild(el("p", "small text-body-secondary", "No judge log."));
    }
    return card;
  }

  function render(data) {
    var list = document.getElementById("oj-subs");
    var open = {};
    var dets = list.querySelectorAll(".oj-sub details");
    for (var i = 0; i < dets.length; i++) if (dets[i].open) open[dets[i].closest(".oj-sub").id] = true;
    var frag = document.createDocumentFragment();
    if (!data.submissions.length) frag.appendChild(el("p", "text-body-secondary", "No submissions yet."));
    data.submissions.forEach(function (s) { frag.appendChild(renderSubmission(s, open["sub-" + s.id])); });
    list.replaceChildren(frag);
    var now = document.getElementById("oj-now");
    if (now) now.textContent = showTime(data.now);
    var left = document.getElementById("oj-left");
    if (left && data.time_left) left.textContent = data.time_left;
  }

  function schedule() {
    var wait = Math.round(delay * (0.75 + Math.random() * 0.5));  // +-25 % jitter
    root.setAttribute("data-state", "waiting");
    timer = setTimeout(poll, wait);
  }
  function stop(why) {
    root.setAttribute("data-state", "stopped");
    root.setAttribute("data-pending", "0");
    setPoll(why);
  }

  function poll() {
    timer = null;
    if (document.hidden) {  // resume when the tab is visible again
      root.setAttribute("data-state", "hidden");
      document.addEventListener("visibilitychange", function again() {
        if (document.hidden) return;
        document.removeEventListener("visibilitychange", again);
        poll();
      });
      return;
    }
    polls++;
    root.setAttribute("data-polls", String(polls));
    root.setAttribute("data-state", "fetching");
    fetch(url, { cache: "no-cache", headers: { "Accept": "application/json" } })
      .then(function (r) {
        if (r.status === 404) { stop("This page no longer exists; reload it."); return null; }
        if (!r.ok) throw new Error("HTTP " + r.status);
        var etag = r.headers.get("ETag");
        if (etag && etag === lastEtag) return undefined;  // unchanged
        lastEtag = etag;
        return r.json();
      })
      .then(function (data) {
        if (data === null) return;
        var changed = false;
        if (data) {
          var next = {};
          data.submissions.forEach(function (s) { next["sub-" + s.id] = s.status; });
          for (var k in next) if (statuses[k] !== next[k]) changed = true;
          statuses = next;
          render(data);
        }
        if (!anyPending(statuses)) { stop(""); return; }
        delay = changed ? MIN_DELAY : Math.min(delay * 2, MAX_DELAY);
        setPoll("");
        schedule();
      })
      .catch(function () {
        delay = Math.min(delay * 2, MAX_DELAY);
        setPoll("(update failed; retrying in about " + Math.round(delay / 1000) + " s)");
        schedule();
      });
  }

  if (root.getAttribute("data-pending") === "1" && anyPending(statuses)) {
    schedule();
  } else {
    root.setAttribute("data-state", "stopped");
  }
})();
