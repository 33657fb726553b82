/* One task's checklist on the phone.
 *
 * Every change is written to the draft at once (localStorage, per user and task), so a
 * closed tab or a dropped connection loses nothing; the draft's client_id is made once and
 * travels with the submission, which goes through the outbox (inspect_store.js): sent now
 * when there is a connection, kept and resent when it comes back. A photo goes up as soon as
 * it is taken; with no connection it waits on the phone (IndexedDB) and goes up first when
 * the submission is sent. The asset's last answers stand beside each item. */
(function () {
  "use strict";

  var I = window.Inspect;
  var root = document.getElementById("inspect-task");
  var taskId = root.dataset.task;
  var form = document.getElementById("checklist");
  var itemsList = document.getElementById("items");
  var head = document.getElementById("task-head");
  var draftBanner = document.getElementById("draft-banner");
  var offlineBanner = document.getElementById("offline-banner");
  var defectNote = document.getElementById("defect-note");
  var formErrors = document.getElementById("form-errors");
  var result = document.getElementById("result");
  var savedAt = document.getElementById("saved-at");
  var zh = (root.dataset.locale || "zh").indexOf("zh") === 0;
  var maxPhotoBytes = 0;
  var task = null, items = [], last = {}, draft = null;

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }
  function label(obj) { return (zh ? obj.zh : obj.en) || obj.zh || obj.en || obj.name || obj.code || ""; }

  /* --- the draft -------------------------------------------------------------------------- */
  function loadDraft() {
    var kept = I.get("draft:" + taskId, null);
    if (kept && kept.client_id) { return { draft: kept, restored: Object.keys(kept.answers || {}).length > 0 }; }
    return { draft: { client_id: I.uuid(), answers: {}, started_at: new Date().toISOString() }, restored: false };
  }
  function saveDraft() {
    draft.saved_at = new Date().toISOString();
    I.put("draft:" + taskId, draft);
    savedAt.textContent = I.t("saved", { time: new Date().toLocaleTimeString() });
  }

  /* --- reading an item ---------------------------------------------------------------------- */
  function isDefect(item, value) {
    if (value === undefined || value === null || value === "") { return false; }
    if (item.kind === "yes_no") { return value === (item.defect_when === undefined ? false : item.defect_when); }
    if (item.kind === "number") {
      var n = Number(value);
      if (!isFinite(n)) { return false; }
      if ((item.min !== undefined && item.min !== null && n < item.min) ||
          (item.max !== undefined && item.max !== null && n > item.max)) { return false; }  // a typo, not a defect
      return (item.ok_min !== undefined && item.ok_min !== null && n < item.ok_min) ||
        (item.ok_max !== undefined && item.ok_max !== null && n > item.ok_max);
    }
    if (item.kind === "choice") {
      return (item.options || []).some(function (o) { return o.code === value && o.defect; });
    }
    return false;
  }

  function show(item, value) {
    if (value === undefined || value === null || value === "") { return "—"; }
    if (item.kind === "yes_no") { return value ? I.t("yes") : I.t("no"); }
    if (item.kind === "number") { return value + (item.unit ? " " + item.unit : ""); }
    if (item.kind === "choice") {
      var o = (item.options || []).filter(function (x) { return x.code === value; })[0];
      return o ? label(o) : String(value);
    }
    if (item.kind === "photo") { return Array.isArray(value) ? I.t("photos_n", { n: value.length }) : "—"; }
    return String(value);
  }

  function required(item) {
    return item.required !== undefined ? !!item.required : (item.kind !== "text" && item.kind !== "photo");
  }

  /* --- drawing the checklist ------------------------------------------------------------------ */
  function toggle(item, li) {
    var group = el("div", "toggle");
    group.setAttribute("role", "radiogroup");
    [true, false].forEach(function (v) {
      var id = "a-" + item.code + "-" + v;
      var input = el("input");
      input.type = "radio"; input.name = item.code; input.id = id; input.value = String(v);
      input.checked = draft.answers[item.code] === v;
      input.addEventListener("change", function () { answer(item, li, v); });
      var lab = el("label", v ? "yes" : "no", v ? I.t("yes") : I.t("no"));
      lab.htmlFor = id;
      group.appendChild(input); group.appendChild(lab);
    });
    return group;
  }

  function number(item, li) {
    var wrap = el("div", "number");
    var input = el("input");
    input.type = "number"; input.inputMode = "decimal"; input.step = "any"; input.name = item.code;
    input.id = "a-" + item.code;
    if (item.min !== undefined && item.min !== null) { input.min = item.min; }
    if (item.max !== undefined && item.max !== null) { input.max = item.max; }
    var kept = draft.answers[item.code];
    input.value = kept === undefined || kept === null ? "" : kept;
    input.addEventListener("input", function () {
      var raw = input.value.trim();
      answer(item, li, raw === "" ? null : Number(raw));
    });
    wrap.appendChild(input);
    if (item.unit) { wrap.appendChild(el("span", "unit", item.unit)); }
    var hints = [];
    if (item.min !== undefined && item.min !== null || item.max !== undefined && item.max !== null) {
      hints.push(I.t("range", { min: item.min === undefined || item.min === null ? "…" : item.min,
                                max: item.max === undefined || item.max === null ? "…" : item.max }));
    }
    if (item.ok_min !== undefined && item.ok_min !== null || item.ok_max !== undefined && item.ok_max !== null) {
      hints.push(I.t("ok_range", { min: item.ok_min === undefined || item.ok_min === null ? "…" : item.ok_min,
                                   max: item.ok_max === undefined || item.ok_max === null ? "…" : item.ok_max }));
    }
    if (hints.length) { wrap.appendChild(el("span", "range-hint", hints.join(" · "))); }
    return wrap;
  }

  function choice(item, li) {
    var group = el("div", "choices");
    group.setAttribute("role", "radiogroup");
    (item.options || []).forEach(function (o) {
      var id = "a-" + item.code + "-" + o.code;
      var input = el("input");
      input.type = "radio"; input.name = item.code; input.id = id; input.value = o.code;
      input.checked = draft.answers[item.code] === o.code;
      input.addEventListener("change", function () { answer(item, li, o.code); });
      var lab = el("label", o.defect ? "is-defect-option" : "", label(o));
      lab.htmlFor = id;
      group.appendChild(input); group.appendChild(lab);
    });
    return group;
  }

  function text(item, li) {
    var area = el("textarea");
    area.name = item.code; area.id = "a-" + item.code; area.rows = 3; area.maxLength = 2000;
    area.value = draft.answers[item.code] || "";
    area.addEventListener("input", function () { answer(item, li, area.value); });
    return area;
  }

  function photoRefs(item) {
    var v = draft.answers[item.code];
    return Array.isArray(v) ? v : [];
  }

  function drawThumbs(item, box) {
    box.textContent = "";
    photoRefs(item).forEach(function (ref, index) {
      var fig = el("figure", "thumb" + (ref.local ? " is-local" : ""));
      var img = el("img");
      img.alt = ref.name || "photo";
      if (ref.url) { img.src = ref.url; }
      else if (ref.local) {
        I.photos.get(ref.local).then(function (blob) { if (blob) { img.src = URL.createObjectURL(blob); } });
      }
      fig.appendChild(img);
      fig.appendChild(el("figcaption", "", ref.local ? I.t("photo_kept") : I.t("photo_sent")));
      var rm = el("button", "remove", "×");
      rm.type = "button";
      rm.setAttribute("aria-label", I.t("remove"));
      rm.addEventListener("click", function () {
        var refs = photoRefs(item).slice();
        refs.splice(index, 1);
        if (ref.local) { I.photos.drop(ref.local); }
        setAnswer(item, refs.length ? refs : null);
        drawThumbs(item, box);
      });
      fig.appendChild(rm);
      box.appendChild(fig);
    });
  }

  function photo(item, li) {
    var wrap = el("div", "photo");
    var id = "a-" + item.code;
    var input = el("input");
    input.type = "file"; input.accept = "image/*"; input.setAttribute("capture", "environment");
    input.id = id; input.name = item.code; input.multiple = true; input.className = "visually-hidden";
    var button = el("label", "button take-photo", I.t("take_photo"));
    button.htmlFor = id;
    var thumbs = el("div", "thumbs");
    var note = el("p", "photo-error error");
    note.hidden = true;
    input.addEventListener("change", function () {
      var files = Array.prototype.slice.call(input.files || []);
      input.value = "";
      note.hidden = true;
      files.reduce(function (chain, file) {
        return chain.then(function () { return addPhoto(item, li, file, thumbs, note); });
      }, Promise.resolve());
    });
    wrap.appendChild(button); wrap.appendChild(input); wrap.appendChild(thumbs); wrap.appendChild(note);
    drawThumbs(item, thumbs);
    return wrap;
  }

  function addPhoto(item, li, file, thumbs, note) {
    if (maxPhotoBytes && file.size > maxPhotoBytes) {
      note.textContent = I.t("too_large"); note.hidden = false;
      return Promise.resolve();
    }
    var keep = function () {
      var key = draft.client_id + ":" + I.uuid();
      return I.photos.put(key, file).then(function () {
        setAnswer(item, photoRefs(item).concat([{ local: key, name: file.name }]));
        drawThumbs(item, thumbs);
      });
    };
    if (I.offline()) { return keep(); }
    var pending = el("p", "hint", I.t("photo_sending"));
    thumbs.appendChild(pending);
    return I.uploadPhoto(root.dataset.photos, file, file.name, item.code).then(function (r) {
      pending.remove();
      if (r.ok) {
        setAnswer(item, photoRefs(item).concat([{ id: r.body.id, url: r.body.url, name: file.name }]));
        drawThumbs(item, thumbs);
        return null;
      }
      if (r.status === 422 || r.status === 413) {
        var errors = (r.body && r.body.errors) || [];
        note.textContent = errors.length ? errors.map(function (e) { return e.message; }).join("; ") : I.t("not_image");
        note.hidden = false;
        return null;
      }
      return keep();  // signed out or the server is down: keep it for later
    }, function () { pending.remove(); return keep(); });
  }

  var controls = { yes_no: toggle, number: number, choice: choice, text: text, photo: photo };

  function drawItem(item, n) {
    var li = el("li", "item kind-" + item.kind);
    li.dataset.code = item.code;
    var title = el("div", "item-title");
    title.appendChild(el("span", "n", String(n + 1)));
    var name = el("span", "item-label", label(item));
    title.appendChild(name);
    if (required(item)) { title.appendChild(el("span", "req", "*")); title.lastChild.title = I.t("required"); }
    li.appendChild(title);
    var lastValue = last[item.code];
    if (Object.keys(last).length) {
      var was = el("p", "last" + (isDefect(item, lastValue) ? " was-defect" : ""));
      was.appendChild(el("span", "last-label", I.t("last") + (lastDate ? " (" + lastDate + ")" : "") + ": "));
      was.appendChild(el("span", "last-value", show(item, lastValue)));
      li.appendChild(was);
    }
    var make = controls[item.kind] || text;
    li.appendChild(make(item, li));
    li.appendChild(el("p", "defect-flag", I.t("defect_item")));
    li.appendChild(el("p", "item-error error"));
    mark(item, li);
    itemsList.appendChild(li);
  }

  function setAnswer(item, value) {
    if (value === null || value === undefined || value === "") { delete draft.answers[item.code]; }
    else { draft.answers[item.code] = value; }
    if (draft.errors) {
      draft.errors = draft.errors.filter(function (e) { return e.field !== "answers." + item.code; });
    }
    saveDraft();
    var li = itemsList.querySelector('[data-code="' + item.code + '"]');
    if (li) { mark(item, li); }
    defects();
  }

  function answer(item, li, value) { setAnswer(item, value); }

  function mark(item, li) {
    var value = draft.answers[item.code];
    li.classList.toggle("is-answered", value !== undefined);
    li.classList.toggle("is-defect", isDefect(item, value));
    var error = (draft.errors || []).filter(function (e) { return e.field === "answers." + item.code; })[0];
    var box = li.querySelector(".item-error");
    if (box) { box.textContent = error ? error.message : ""; box.hidden = !error; }
    li.classList.toggle("has-error", !!error);
  }

  function defects() {
    var found = items.filter(function (item) { return isDefect(item, draft.answers[item.code]); });
    defectNote.hidden = found.length === 0;
    defectNote.textContent = found.length ? I.t("defect") + " (" + found.map(label).join("、") + ")" : "";
  }

  var lastDate = null;

  function drawHead() {
    head.textContent = "";
    var asset = task.asset || {};
    var titles = I.strings.collections || {};
    var h1 = el("h1", "", asset.name || ((titles[asset.collection] || asset.collection || "") + " #" + (asset.id || "")));
    head.appendChild(h1);
    var meta = el("p", "task-meta");
    var overdue = task.status === "overdue" ||
      (task.status !== "done" && task.closes_on && task.closes_on < new Date().toISOString().slice(0, 10));
    meta.appendChild(el("span", "badge " + (task.status === "done" ? "done" : overdue ? "overdue" : "due"),
      task.status === "done" ? I.t("done_already") : overdue ? I.t("overdue") : I.t("due")));
    meta.appendChild(el("span", "", task.due_on || ""));
    var tpl = task.template || {};
    meta.appendChild(el("span", "", zh ? (tpl.name_zh || "") : (tpl.name_en || tpl.name_zh || "")));
    head.appendChild(meta);
    if (asset.collection && asset.id) {
      var link = el("a", "status-link", I.t("status_page") + " →");
      link.href = (root.dataset.root || "") + "/s/" + asset.collection + "/" + asset.id;
      head.appendChild(link);
    }
  }

  /* --- submitting ------------------------------------------------------------------------------ */
  function problemsHere() {
    var problems = [];
    items.forEach(function (item) {
      var v = draft.answers[item.code];
      var empty = v === undefined || v === null || v === "" || (Array.isArray(v) && !v.length);
      if (empty && required(item)) {
        problems.push({ field: "answers." + item.code, message: item.kind === "photo" ? I.t("photo_required") : I.t("required") });
      } else if (!empty && item.kind === "number") {
        if (!isFinite(v)) { problems.push({ field: "answers." + item.code, message: I.t("required") }); }
        else if (item.min !== undefined && item.min !== null && v < item.min ||
                 item.max !== undefined && item.max !== null && v > item.max) {
          problems.push({ field: "answers." + item.code, message: I.t("range", { min: item.min, max: item.max }) });
        }
      }
    });
    return problems;
  }

  function body() {
    var answers = {};
    Object.keys(draft.answers).forEach(function (code) {
      var v = draft.answers[code];
      answers[code] = Array.isArray(v) ? v.map(function (r) { return r.id !== undefined ? r.id : "local:" + r.local; }) : v;
    });
    var out = { client_id: draft.client_id, answers: answers };
    if (draft.position) { out.position = draft.position; }
    return out;
  }

  function showErrors(list) {
    formErrors.textContent = "";
    if (!list || !list.length) { formErrors.hidden = true; return; }
    formErrors.appendChild(el("strong", "", I.t("problems")));
    var ul = el("ul");
    list.forEach(function (p) {
      var code = (p.field || "").replace(/^answers\./, "");
      var item = items.filter(function (i) { return i.code === code; })[0];
      ul.appendChild(el("li", "", (item ? label(item) + ": " : (p.field ? p.field + ": " : "")) + p.message));
    });
    formErrors.appendChild(ul);
    formErrors.hidden = false;
    items.forEach(function (item) {
      var li = itemsList.querySelector('[data-code="' + item.code + '"]');
      if (li) { mark(item, li); }
    });
  }

  function hazardsOf(response) {
    if (!response) { return []; }
    var list = response.hazards || response.hazard_ids ||
      (response.hazard_id ? [response.hazard_id] : response.hazard ? [response.hazard] : []);
    return list.map(function (h) { return typeof h === "object" ? h : { id: h }; });
  }

  function showStored(response) {
    form.hidden = true;
    draftBanner.hidden = true;
    result.textContent = "";
    result.hidden = false;
    result.className = "result stored";
    result.appendChild(el("p", "ok", I.t("stored")));
    var hazards = hazardsOf(response);
    if (hazards.length) {
      var p = el("p", "hazards", I.t("hazard") + " ");
      hazards.forEach(function (h) {
        var a = el("a", "hazard-link", I.t("hazard_open", { id: h.id }));
        a.href = h.url || h.href || ((root.dataset.root || "") + "/hazards/" + h.id);
        p.appendChild(a);
        p.appendChild(document.createTextNode(" "));
      });
      result.appendChild(p);
    }
    var back = el("a", "button", I.t("back"));
    back.href = root.dataset.list;
    result.appendChild(back);
  }

  function showQueued() {
    result.textContent = "";
    result.hidden = false;
    result.className = "result queued";
    result.appendChild(el("p", "", I.t("queued")));
  }

  function queuedHere() {
    return I.outbox().filter(function (e) { return String(e.task_id) === String(taskId); })[0];
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (queuedHere()) { showQueued(); return; }
    var problems = problemsHere();
    draft.errors = problems;
    saveDraft();
    showErrors(problems);
    if (problems.length) {
      var first = itemsList.querySelector(".has-error");
      if (first) { first.scrollIntoView({ block: "center" }); }
      return;
    }
    I.enqueue({ task_id: taskId, client_id: draft.client_id, url: root.dataset.api,
                photo_url: root.dataset.photos, body: body(), draft: draft,
                queued_at: new Date().toISOString() });
    form.hidden = true;
    if (I.offline()) { showQueued(); return; }
    result.hidden = false; result.className = "result"; result.textContent = I.t("sending");
    I.flush().then(function (done) { if (!done && queuedHere()) { showQueued(); } });
  });

  I.onSettled(function (kind, entry, response) {
    if (!entry || String(entry.task_id) !== String(taskId)) { return; }
    if (kind === "stored") { showStored(response); }
    if (kind === "rejected") {
      draft = I.get("draft:" + taskId, draft);
      form.hidden = false; result.hidden = true;
      showErrors(draft.errors);
    }
    if (kind === "waiting") { showQueued(); }
  });

  /* --- start ------------------------------------------------------------------------------------ */
  /** The tasks API's answer: {task, template (its items), asset, last_answers, submission, may_submit}. */
  function start(body) {
    task = Object.assign({}, body.task || body, { asset: body.asset || (body.task || {}).asset });
    items = (body.template && body.template.items) || body.items || [];
    task.template = Object.assign({}, (body.task || {}).template || {}, body.template || {});
    var prev = body.last_answers || null;
    last = (prev && prev.answers) || {};
    lastDate = prev ? String(prev.at || prev.due_on || "").slice(0, 10) || null : null;
    drawHead();
    var done = I.get("done:" + taskId, null);
    if (task.status === "done") {
      showStored(body.submission || (done ? done.response : null));
      return;
    }
    if (queuedHere()) { showQueued(); return; }
    if (body.may_submit === false) { document.getElementById("submit").disabled = true; }
    itemsList.textContent = "";
    items.forEach(drawItem);
    form.hidden = false;
    defects();
    showErrors(draft.errors);
  }

  var loaded = loadDraft();
  draft = loaded.draft;
  draftBanner.hidden = !loaded.restored;
  if (!loaded.restored) { I.put("draft:" + taskId, draft); }  // the client_id is made once per draft
  maxPhotoBytes = (Number(root.dataset.maxPhotoMb) || 0) * 1024 * 1024;
  offlineBanner.hidden = !I.offline();
  window.addEventListener("offline", function () { offlineBanner.hidden = false; });
  window.addEventListener("online", function () { offlineBanner.hidden = true; });

  I.send(root.dataset.api, { method: "GET" }).then(function (resp) {
    if (!resp.ok) { throw new Error(String(resp.status)); }
    return resp.json();
  }).then(function (t) {
    I.put("task:" + taskId, t);
    start(t);
  }).catch(function () {
    var kept = I.get("task:" + taskId, null);
    if (kept) { offlineBanner.hidden = false; start(kept); return; }
    head.appendChild(el("p", "error", I.t("failed")));
  }).then(function () { I.flush(); });

  if (navigator.geolocation) {
    navigator.geolocation.getCurrentPosition(function (pos) {
      draft.position = [Number(pos.coords.longitude.toFixed(7)), Number(pos.coords.latitude.toFixed(7))];
      saveDraft();
    }, function () { /* the inspection goes without a position */ },
    { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  }
})();
