/* The import & export page: upload with progress, follow the job, show the report and the
   history, undo; build the export link. Text from the server is set with textContent only. */
(function () {
  "use strict";
  var labels = JSON.parse(document.getElementById("imports-labels").textContent);
  var T = labels.text;
  var csrf = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
  var numbers = new Intl.NumberFormat(labels.locale);
  var REJECTED_SHOWN = 500;
  var POLL_MS = 1000;

  var form = document.getElementById("import-form");
  var submit = document.getElementById("import-submit");
  var errorBox = document.getElementById("import-error");
  var progressBlock = document.getElementById("import-progress");
  var uploadBar = document.getElementById("upload-bar");
  var jobBar = document.getElementById("job-bar");
  var progressText = document.getElementById("progress-text");
  var report = document.getElementById("import-report");
  var historyBody = document.querySelector("#history-table tbody");
  var historyStatus = document.getElementById("history-status");

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (whole, key) {
      return values[key] === undefined || values[key] === null ? whole : String(values[key]);
    });
  }

  function num(value) { return numbers.format(typeof value === "number" ? value : 0); }

  function node(tag, text, className) {
    var el = document.createElement(tag);
    if (text !== undefined && text !== null) { el.textContent = String(text); }
    if (className) { el.className = className; }
    return el;
  }

  function clear(el) { while (el.firstChild) { el.removeChild(el.firstChild); } }

  function headers(extra) {
    var h = { "Accept": "application/json", "Accept-Language": labels.locale };
    Object.keys(extra || {}).forEach(function (k) { h[k] = extra[k]; });
    return h;
  }

  /* Only the app's own paths become links (the API answers with relative hrefs). */
  function localHref(href) {
    return typeof href === "string" && href.charAt(0) === "/" && href.charAt(1) !== "/" ? href : null;
  }

  /* The field's label in the page language, with the registry's name beside it in grey. */
  function fieldCell(collection, field) {
    var names = labels.fields[collection] || {};
    var label = names[field] || (field === "geometry" ? T.geometry : null);
    var td = node("td", label || field || "");
    var same = label && field && label.toLowerCase() === field.replace(/_/g, " ").toLowerCase();
    if (label && field && !same) { td.appendChild(node("span", field, "code")); }
    return td;
  }

  /* --- bars ----------------------------------------------------------------------------- */

  function setBar(bar, fraction) {
    if (fraction === null) { bar.removeAttribute("value"); return; }   /* indeterminate */
    bar.value = Math.round(Math.max(0, Math.min(1, fraction)) * 100);
  }

  function showProgress(text) {
    progressBlock.hidden = false;
    progressText.textContent = text;
  }

  /* --- errors --------------------------------------------------------------------------- */

  function showError(problem) {
    clear(errorBox);
    errorBox.appendChild(node("strong", problem.title || T.failed));
    if (problem.detail) { errorBox.appendChild(node("p", problem.detail)); }
    var list = (problem.errors || []).filter(function (e) { return e; });
    if (list.length) {
      var ul = node("ul");
      list.forEach(function (e) {
        var where = [];
        if (e.row !== undefined && e.row !== null) { where.push("#" + e.row); }
        if (e.field) { where.push(e.field); }
        var li = node("li");
        if (where.length) { li.appendChild(node("span", where.join(" · "), "where")); }
        li.appendChild(document.createTextNode(e.message || e.code || ""));
        ul.appendChild(li);
      });
      errorBox.appendChild(ul);
    }
    errorBox.hidden = false;
  }

  function hideError() { errorBox.hidden = true; clear(errorBox); }

  function parse(text) {
    try { return JSON.parse(text); } catch (e) { return null; }
  }

  /* --- the report ----------------------------------------------------------------------- */

  function stateOf(r) {
    if (r.undone) { return T.state_undone; }
    if (r.dry_run) { return T.state_dry_run; }
    return r.stored ? T.state_stored : T.state_not_stored;
  }

  function showReport(job) {
    var r = job.report || {};
    var collection = r.collection || job.collection;
    report.setAttribute("data-import-id", String(job.id));
    var summary = document.getElementById("report-summary");
    summary.textContent = fill(T.summary, {
      rows: num(r.rows), created: num(r.created), updated: num(r.updated),
      rejected: num(r.rejected_rows), state: stateOf(r)
    });
    summary.className = "summary " + (r.stored && !r.undone ? "ok" : "warn");
    summary.setAttribute("data-stored", r.stored ? "1" : "0");

    var unmapped = document.getElementById("report-unmapped");
    var cols = r.unmapped_columns || [];
    unmapped.textContent = cols.length
      ? T.unmapped + " " + cols.join(labels.locale === "en" ? ", " : "、")
      : T.unmapped_none;

    var block = document.getElementById("rejected-block");
    var rejected = r.rejected || [];
    block.hidden = rejected.length === 0;
    var links = document.getElementById("rejected-links");
    clear(links);
    (job.links || []).filter(function (l) { return l.rel === "rejected"; }).forEach(function (l) {
      var href = localHref(l.href);
      if (!href) { return; }
      var a = node("a", /csv/.test(l.type) ? T.rejected_csv : T.rejected_xlsx, "button");
      a.href = href;
      a.setAttribute("data-format", /csv/.test(l.type) ? "csv" : "xlsx");
      links.appendChild(a);
    });
    var body = document.querySelector("#rejected-table tbody");
    clear(body);
    rejected.slice(0, REJECTED_SHOWN).forEach(function (p) {
      var tr = node("tr");
      var row = p.row === null || p.row === undefined ? "—" : String(p.row);
      if (p.params && p.params.table === "points") { row = fill(T.points_row, { row: row }); }
      tr.appendChild(node("td", row, "num"));
      tr.appendChild(fieldCell(collection, p.field));
      tr.appendChild(node("td", p.message || p.code));
      body.appendChild(tr);
    });
    var more = document.getElementById("rejected-more");
    more.hidden = rejected.length <= REJECTED_SHOWN;
    more.textContent = more.hidden ? "" : fill(T.rejected_more, {
      shown: num(REJECTED_SHOWN), total: num(rejected.length) });
    report.hidden = false;
  }

  /* --- one import: answer, then the job until it ends ----------------------------------- */

  function finished(job) {
    setBar(jobBar, 1);
    progressText.textContent = "";
    progressBlock.hidden = true;
    if (job.status === "failed") {
      var err = job.error || {};
      showError({ title: T.failed, detail: err.message, errors: err.problems });
    }
    if (job.report) { showReport(job); }
    busy(false);
    loadHistory();
  }

  function follow(job, failures) {
    if (job.status === "done" || job.status === "failed") { finished(job); return; }
    var rows = job.rows_done;
    if (job.status === "queued") {
      setBar(jobBar, null);
      showProgress(T.queued);
    } else if (job.progress > 0) {
      setBar(jobBar, job.progress);
      showProgress(fill(T.running_pct, { pct: Math.round(job.progress * 100) }));
    } else {
      setBar(jobBar, null);
      showProgress(typeof rows === "number" ? fill(T.running_rows, { rows: num(rows) }) : T.uploaded);
    }
    var self = (job.links || []).filter(function (l) { return l.rel === "self"; })[0];
    var url = localHref(self && self.href) || form.action + "/" + encodeURIComponent(job.id);
    window.setTimeout(function () {
      fetch(url, { credentials: "same-origin", headers: headers() })
        .then(function (resp) {
          return resp.text().then(function (text) { return { status: resp.status, body: parse(text) }; });
        })
        .then(function (res) {
          if (res.status === 200 && res.body) { follow(res.body, 0); return; }
          showError(res.body || { title: fill(T.http, { status: res.status }) });
          busy(false);
        })
        .catch(function () {
          if (failures < 5) { follow(job, failures + 1); return; }
          showError({ title: T.network });
          busy(false);
        });
    }, POLL_MS);
  }

  function answered(status, contentType, body) {
    if (!body || /problem\+json/.test(contentType) || body.status === undefined || !body.id) {
      progressBlock.hidden = true;
      showError(body || { title: fill(T.http, { status: status }) });
      busy(false);
      return;
    }
    setBar(uploadBar, 1);
    follow(body, 0);
  }

  function busy(on) {
    submit.disabled = on;
    form.setAttribute("aria-busy", on ? "true" : "false");
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (submit.disabled) { return; }
    hideError();
    report.hidden = true;
    var file = document.getElementById("import-file");
    if (!file.files.length) {
      showError({ title: T.choose_file });
      file.focus();
      return;
    }
    var data = new FormData();
    data.append("collection", document.getElementById("import-collection").value);
    data.append("file", file.files[0]);
    [["points", "import-points"], ["mapping", "import-mapping"]].forEach(function (pair) {
      var input = document.getElementById(pair[1]);
      if (input.files.length) { data.append(pair[0], input.files[0]); }
    });
    data.append("crs", document.getElementById("import-crs").value);
    data.append("encoding", document.getElementById("import-encoding").value);
    var layer = document.getElementById("import-layer").value.trim();
    data.append("layer", layer);   /* a GeoPackage's layer or an Excel sheet: the reader takes its own */
    data.append("sheet", layer);
    if (document.getElementById("import-dry-run").checked) { data.append("dry_run", "1"); }
    if (document.getElementById("import-skip-invalid").checked) { data.append("skip_invalid", "1"); }

    busy(true);
    setBar(uploadBar, 0);
    setBar(jobBar, 0);
    showProgress(fill(T.uploading, { pct: 0 }));
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    var h = headers({ "X-CSRFToken": csrf });
    Object.keys(h).forEach(function (k) { xhr.setRequestHeader(k, h[k]); });
    xhr.upload.addEventListener("progress", function (e) {
      if (!e.lengthComputable) { setBar(uploadBar, null); return; }
      setBar(uploadBar, e.loaded / e.total);
      showProgress(fill(T.uploading, { pct: Math.round(100 * e.loaded / e.total) }));
    });
    xhr.upload.addEventListener("load", function () {
      setBar(uploadBar, 1);
      setBar(jobBar, null);
      showProgress(T.uploaded);
    });
    xhr.addEventListener("load", function () {
      answered(xhr.status, xhr.getResponseHeader("Content-Type") || "", parse(xhr.responseText));
    });
    xhr.addEventListener("error", function () {
      progressBlock.hidden = true;
      showError({ title: T.network });
      busy(false);
    });
    xhr.send(data);
  });

  /* --- history and undo ----------------------------------------------------------------- */

  function statusOf(job) {
    var r = job.report || {};
    if (job.status === "queued" || job.status === "running" || job.status === "failed") {
      return job.status;
    }
    if (r.undone) { return "undone"; }
    if (r.dry_run) { return "dry_run"; }
    return r.stored ? "stored" : "not_stored";
  }

  function when(iso) {
    if (!iso) { return ""; }
    var d = new Date(iso);
    if (isNaN(d.getTime())) { return iso; }
    return d.toLocaleString(labels.locale, { year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit" });
  }

  function cell(tr, text, name, className) {
    var td = node("td", text, className);
    td.setAttribute("data-label", name);
    tr.appendChild(td);
    return td;
  }

  function undo(job, button) {
    if (!window.confirm(fill(T.undo_confirm, { id: job.id, file: job.file || "" }))) { return; }
    button.disabled = true;
    var self = (job.links || []).filter(function (l) { return l.rel === "self"; })[0];
    var url = localHref(self && self.href) || form.action + "/" + encodeURIComponent(job.id);
    fetch(url, { method: "DELETE", credentials: "same-origin",
                 headers: headers({ "X-CSRFToken": csrf }) })
      .then(function (resp) {
        return resp.text().then(function (text) { return { ok: resp.ok, status: resp.status, body: parse(text) }; });
      })
      .then(function (res) {
        var b = res.body || {};
        if (res.ok) {
          historyStatus.className = "ok";
          historyStatus.textContent = fill(T.undone, { id: job.id, retired: num(b.retired),
            restored: num(b.restored) });
          if (!report.hidden && report.getAttribute("data-import-id") === String(job.id)) {
            refreshReport(url);   /* the report on show is the one just undone */
          }
        } else {
          historyStatus.className = "error";
          historyStatus.textContent = [b.title || fill(T.http, { status: res.status })].concat(
            (b.errors || []).map(function (e) { return e.message || e.code; })).join(" ");
        }
        loadHistory();
      })
      .catch(function () {
        historyStatus.className = "error";
        historyStatus.textContent = T.network;
        button.disabled = false;
      });
  }

  function refreshReport(url) {
    fetch(url, { credentials: "same-origin", headers: headers() })
      .then(function (resp) { return resp.ok ? resp.json() : null; })
      .then(function (job) { if (job && job.report) { showReport(job); } })
      .catch(function () { /* the history still says it was undone */ });
  }

  function renderHistory(jobs) {
    clear(historyBody);
    if (!jobs.length) {
      var tr = node("tr", null, "empty");
      var td = node("td", T.no_imports);
      td.colSpan = 10;
      tr.appendChild(td);
      historyBody.appendChild(tr);
      return;
    }
    var heads = Array.prototype.map.call(
      document.querySelectorAll("#history-table thead th"), function (th) { return th.textContent.trim(); });
    jobs.forEach(function (job) {
      var r = job.report || {};
      var state = statusOf(job);
      var tr = node("tr");
      tr.setAttribute("data-import-id", String(job.id));
      tr.setAttribute("data-status", state);
      cell(tr, String(job.id), heads[0], "num c-id");
      cell(tr, job.file || "", heads[1], "file");
      cell(tr, labels.titles[job.collection] || job.collection || "", heads[2], "c-collection");
      var status = cell(tr, "", heads[3], "c-status");
      status.appendChild(node("span", T.status[state] || job.status, "badge badge-" + state));
      cell(tr, job.report ? num(r.created) : "", heads[4], "num c-created");
      cell(tr, job.report ? num(r.updated) : "", heads[5], "num c-updated");
      cell(tr, job.report ? num(r.rejected_rows) : "", heads[6], "num c-rejected");
      cell(tr, job.created_by || "", heads[7], "c-by");
      cell(tr, when(job.created_at), heads[8], "c-when");
      var actions = cell(tr, "", heads[9], "actions");
      if (job.status === "done" && r.stored && !r.undone) {
        var button = node("button", T.undo, "undo");
        button.type = "button";
        button.setAttribute("aria-label", T.undo + " " + job.id + " " + (job.file || ""));
        button.addEventListener("click", function () { undo(job, button); });
        actions.appendChild(button);
      }
      historyBody.appendChild(tr);
    });
  }

  function loadHistory() {
    fetch(form.action, { credentials: "same-origin", headers: headers() })
      .then(function (resp) {
        if (!resp.ok) { throw new Error(fill(T.http, { status: resp.status })); }
        return resp.json();
      })
      .then(function (body) {
        renderHistory(body.imports || []);
        document.body.setAttribute("data-history-loaded", String((body.imports || []).length));
      })
      .catch(function (e) {
        historyStatus.className = "error";
        historyStatus.textContent = e && e.message ? e.message : T.network;
      });
  }

  document.getElementById("history-refresh").addEventListener("click", function () {
    historyStatus.textContent = "";
    loadHistory();
  });

  /* --- export: a plain link the browser downloads --------------------------------------- */

  var exportForm = document.getElementById("export-form");
  var exportLink = document.getElementById("export-link");
  var division = document.getElementById("export-division");

  function exportHref() {
    var params = new URLSearchParams();
    params.set("format", document.getElementById("export-format").value);
    params.set("crs", document.getElementById("export-crs").value);
    var format = document.getElementById("export-format").value;
    if (format === "csv" || format === "xlsx") {  /* GIS formats carry field names and codes */
      params.set("lang", document.getElementById("export-lang").value);
    }
    var code = division.value.trim();
    if (code) { params.set("division", code); }
    var collection = document.getElementById("export-collection").value;
    return exportForm.getAttribute("data-href").replace("__collection__", encodeURIComponent(collection)) +
      "?" + params.toString();
  }

  function updateExport() {
    var ok = division.value.trim() === "" || /^[0-9]{2,12}$/.test(division.value.trim());
    division.setAttribute("aria-invalid", ok ? "false" : "true");
    exportLink.href = exportHref();
    exportLink.setAttribute("aria-disabled", ok ? "false" : "true");
  }

  exportForm.addEventListener("input", updateExport);
  exportForm.addEventListener("change", updateExport);
  exportForm.addEventListener("submit", function (event) {
    event.preventDefault();   /* Enter in the division field downloads, like the link */
    if (exportLink.getAttribute("aria-disabled") !== "true") { window.location.assign(exportLink.href); }
  });
  exportLink.addEventListener("click", function (event) {
    if (exportLink.getAttribute("aria-disabled") === "true") {
      event.preventDefault();
      division.focus();
    }
  });

  updateExport();
  loadHistory();
})();
