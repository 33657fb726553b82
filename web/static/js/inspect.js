/* Today's inspections on the phone: due and overdue first, the nearest first when the phone
 * shares its position (else by due date). The last list loaded is kept, so a phone with no
 * connection still shows it, with the time it was loaded. */
(function () {
  "use strict";

  var I = window.Inspect;
  var root = document.getElementById("inspect-today");
  var list = document.getElementById("task-list");
  var where = document.getElementById("where");
  var offlineBanner = document.getElementById("offline-banner");
  var outboxBanner = document.getElementById("outbox-banner");
  var status = "open";
  var zh = (document.documentElement.lang || "zh").indexOf("zh") === 0;
  var position = null;

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }

  function tasksOf(body) {
    if (Array.isArray(body)) { return body; }
    return body.tasks || body.items || body.features || [];
  }

  function today() { return new Date().toISOString().slice(0, 10); }

  /** Metres between two lon/lat points (haversine): the list's distances when the API gives none. */
  function metres(a, b) {
    var rad = Math.PI / 180, dLat = (b[1] - a[1]) * rad, dLon = (b[0] - a[0]) * rad;
    var h = Math.sin(dLat / 2) * Math.sin(dLat / 2) +
      Math.cos(a[1] * rad) * Math.cos(b[1] * rad) * Math.sin(dLon / 2) * Math.sin(dLon / 2);
    return 6371008.8 * 2 * Math.asin(Math.sqrt(h));
  }

  function distanceOf(task) {
    if (typeof task.distance_m === "number") { return task.distance_m; }
    var at = task.position || (task.asset && task.asset.position);
    if (position && Array.isArray(at)) { return metres(position, at); }
    return null;
  }

  function isOverdue(task) {
    return task.status === "overdue" || (task.status !== "done" && !!task.closes_on && task.closes_on < today());
  }

  /** Overdue first, then due; within each, the nearest first when the position is known. */
  function ordered(tasks) {
    return tasks.slice().sort(function (a, b) {
      var oa = isOverdue(a) ? 0 : 1, ob = isOverdue(b) ? 0 : 1;
      if (oa !== ob && status === "open") { return oa - ob; }
      var da = distanceOf(a), db = distanceOf(b);
      if (da !== null && db !== null && da !== db) { return da - db; }
      return String(a.due_on).localeCompare(String(b.due_on)) || a.id - b.id;
    });
  }

  function distanceText(m) {
    if (m === null) { return ""; }
    return m >= 1000 ? I.t("km", { n: (m / 1000).toFixed(m >= 10000 ? 0 : 1) }) : I.t("m", { n: Math.round(m) });
  }

  function dueText(task) {
    if (task.status === "done") { return task.done_at ? task.done_at.slice(0, 10) : ""; }
    if (isOverdue(task)) {
      var late = Math.round((Date.parse(today()) - Date.parse(task.closes_on || task.due_on)) / 86400000);
      return late > 0 ? I.t("days_late", { n: late }) : I.t("due_on", { date: task.due_on });
    }
    return task.due_on === today() ? I.t("due_today") : I.t("due_on", { date: task.due_on });
  }

  function render(tasks, asOf) {
    list.textContent = "";
    if (!tasks.length) {
      list.appendChild(el("li", "empty", I.t(status === "done" ? "empty_done" : "empty")));
      return;
    }
    var drafts = {};
    ordered(tasks).forEach(function (task) {
      var li = el("li", "task" + (isOverdue(task) && status === "open" ? " is-overdue" : ""));
      var a = el("a", "task-link");
      a.href = root.dataset.taskUrl + task.id;
      var asset = task.asset || {};
      var head = el("div", "task-top");
      var badge = status === "done" ? el("span", "badge done", I.t("done"))
        : isOverdue(task) ? el("span", "badge overdue", I.t("overdue")) : el("span", "badge due", I.t("due"));
      head.appendChild(badge);
      var titles = I.strings.collections || {};
      head.appendChild(el("strong", "asset-name", asset.name || ((titles[asset.collection] || asset.collection) + " #" + asset.id)));
      a.appendChild(head);
      var meta = el("div", "task-meta");
      var tpl = task.template || {};
      meta.appendChild(el("span", "template", zh ? tpl.name_zh || "" : tpl.name_en || tpl.name_zh || ""));
      meta.appendChild(el("span", "due-text", dueText(task)));
      var d = distanceOf(task);
      if (d !== null) { meta.appendChild(el("span", "distance", distanceText(d))); }
      if (I.get("draft:" + task.id, null)) { meta.appendChild(el("span", "badge draft", I.t("draft"))); }
      a.appendChild(meta);
      li.appendChild(a);
      list.appendChild(li);
    });
    if (asOf) {
      list.appendChild(el("li", "as-of", I.t("cached", { time: new Date(asOf).toLocaleTimeString() })));
    }
  }

  function url() {
    var params = new URLSearchParams({ assignee: "me" });
    if (status === "done") { params.set("status", "done"); }
    if (position) { params.set("near", position[0].toFixed(6) + "," + position[1].toFixed(6)); }
    return root.dataset.api + "?" + params.toString();
  }

  function load() {
    var cacheKey = "tasks:" + status;
    return I.send(url(), { method: "GET" }).then(function (resp) {
      if (!resp.ok) { throw new Error(String(resp.status)); }
      return resp.json();
    }).then(function (body) {
      var tasks = tasksOf(body).filter(function (t) {
        return status === "done" ? t.status === "done" : t.status !== "done";
      });
      I.put(cacheKey, { at: Date.now(), tasks: tasks });
      offlineBanner.hidden = true;
      render(tasks, null);
    }).catch(function () {
      var kept = I.get(cacheKey, null);
      offlineBanner.hidden = !I.offline() && !kept;
      if (kept) { offlineBanner.hidden = false; render(kept.tasks, kept.at); }
      else { list.textContent = ""; list.appendChild(el("li", "empty error", I.t("failed"))); }
    });
  }

  function showOutbox() {
    var n = I.outbox().length;
    outboxBanner.hidden = n === 0;
    outboxBanner.textContent = n ? I.t("outbox", { n: n }) : "";
  }

  Array.prototype.forEach.call(document.querySelectorAll(".tabs [data-status]"), function (tab) {
    tab.addEventListener("click", function () {
      status = tab.dataset.status;
      Array.prototype.forEach.call(document.querySelectorAll(".tabs [data-status]"), function (other) {
        other.setAttribute("aria-selected", other === tab ? "true" : "false");
      });
      load();
    });
  });

  I.onSettled(function (kind) { showOutbox(); if (kind === "stored") { load(); } });
  window.addEventListener("online", function () { offlineBanner.hidden = true; load(); });
  window.addEventListener("offline", function () { offlineBanner.hidden = false; });

  showOutbox();
  load().then(function () { I.flush(); });
  if (navigator.geolocation) {
    navigator.geolocation.getCurrentPosition(function (pos) {
      position = [pos.coords.longitude, pos.coords.latitude];
      where.textContent = I.t("near");
      load();
    }, function () {
      where.textContent = I.t("no_position");
    }, { enableHighAccuracy: false, timeout: 10000, maximumAge: 120000 });
  } else {
    where.textContent = I.t("no_position");
  }
})();
