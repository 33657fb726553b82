/* What the inspection pages keep on the phone until the registry has it.
 *
 * - drafts (localStorage, one key per user and task), saved as the inspector types;
 * - photos taken with no connection (IndexedDB: blobs are too big for localStorage);
 * - the outbox: submissions not yet acknowledged, retried when the connection is back and
 *   on every page load. Each carries the client_id made with its draft, so the API stores
 *   it once however often it is sent.
 * Exposed as window.Inspect; no library, no network beyond the registry.
 */
(function () {
  "use strict";

  var root = document.querySelector(".inspect");
  var user = root ? root.dataset.user : "anon";
  var prefix = "inspect:" + user + ":";
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var stringsEl = document.getElementById("inspect-strings");
  var strings = stringsEl ? JSON.parse(stringsEl.textContent) : {};

  function t(key, params) {
    var text = strings[key] || key;
    Object.keys(params || {}).forEach(function (k) { text = text.split("{" + k + "}").join(params[k]); });
    return text;
  }

  function get(key, fallback) {
    try {
      var raw = localStorage.getItem(prefix + key);
      return raw === null ? fallback : JSON.parse(raw);
    } catch (e) { return fallback; }
  }

  function put(key, value) {
    try { localStorage.setItem(prefix + key, JSON.stringify(value)); return true; }
    catch (e) { return false; }  // quota: the page keeps it in memory and says so
  }

  function drop(key) { try { localStorage.removeItem(prefix + key); } catch (e) { /* private mode */ } }

  function uuid() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  /* --- photos kept on the phone (IndexedDB) ------------------------------------------ */
  var dbPromise = null;
  function photoDb() {
    if (!dbPromise) {
      dbPromise = new Promise(function (resolve, reject) {
        var req = indexedDB.open("inspect-photos", 1);
        req.onupgradeneeded = function () { req.result.createObjectStore("photos"); };
        req.onsuccess = function () { resolve(req.result); };
        req.onerror = function () { reject(req.error); };
      });
    }
    return dbPromise;
  }
  function photoOp(mode, fn) {
    return photoDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction("photos", mode);
        var req = fn(tx.objectStore("photos"));
        tx.oncomplete = function () { resolve(req ? req.result : undefined); };
        tx.onerror = function () { reject(tx.error); };
      });
    });
  }
  var photos = {
    put: function (key, blob) { return photoOp("readwrite", function (s) { return s.put(blob, key); }); },
    get: function (key) { return photoOp("readonly", function (s) { return s.get(key); }); },
    drop: function (key) { return photoOp("readwrite", function (s) { return s.delete(key); }); },
  };

  /* --- talking to the registry ------------------------------------------------------- */
  function offline() { return navigator.onLine === false; }

  function send(url, options) {
    options = options || {};
    options.credentials = "same-origin";
    options.headers = Object.assign({ "X-CSRFToken": csrfMeta ? csrfMeta.content : "",
                                      "Accept": "application/json" }, options.headers || {});
    return fetch(url, options);
  }

  /** Upload one photo for a task; resolves {ok, status, body}; rejects when the network fails. */
  function uploadPhoto(url, blob, name, item) {
    var form = new FormData();
    form.append("file", blob, name || "photo.jpg");
    form.append("item", item || "");
    return send(url, { method: "POST", body: form }).then(function (resp) {
      return resp.json().catch(function () { return {}; }).then(function (body) {
        return { ok: resp.ok, status: resp.status, body: body };
      });
    });
  }

  /* --- the outbox ---------------------------------------------------------------------- */
  function outbox() { return get("outbox", []); }
  function saveOutbox(list) { put("outbox", list); }

  function enqueue(entry) {
    var list = outbox().filter(function (e) { return e.client_id !== entry.client_id; });
    list.push(entry);
    saveOutbox(list);
  }

  var flushing = null;
  var listeners = [];
  function onSettled(fn) { listeners.push(fn); }
  function tell(kind, entry, detail) { listeners.forEach(function (fn) { fn(kind, entry, detail); }); }

  function replaceEntry(entry) {
    saveOutbox(outbox().map(function (e) { return e.client_id === entry.client_id ? entry : e; }));
  }
  function removeEntry(entry) {
    saveOutbox(outbox().filter(function (e) { return e.client_id !== entry.client_id; }));
  }

  /** Photos still on the phone go up first; their answers then hold the attachment ids. */
  function uploadPending(entry) {
    var jobs = [];
    Object.keys(entry.body.answers || {}).forEach(function (code) {
      var value = entry.body.answers[code];
      if (!Array.isArray(value)) { return; }
      value.forEach(function (ref, i) {
        if (typeof ref !== "string" || ref.indexOf("local:") !== 0) { return; }
        jobs.push({ code: code, index: i, key: ref.slice(6) });
      });
    });
    return jobs.reduce(function (chain, job) {
      return chain.then(function () {
        return photos.get(job.key).then(function (blob) {
          if (!blob) { entry.body.answers[job.code][job.index] = null; return null; }
          return uploadPhoto(entry.photo_url, blob, blob.name || "photo.jpg", job.code).then(function (r) {
            if (r.ok) {
              entry.body.answers[job.code][job.index] = r.body.id;
              replaceEntry(entry);
              return photos.drop(job.key);
            }
            if (r.status === 401 || r.status === 403 || r.status >= 500) { throw new Error("later"); }
            entry.body.answers[job.code][job.index] = null;  // refused (not an image): the API says what is missing
            return null;
          });
        });
      });
    }, Promise.resolve()).then(function () {
      Object.keys(entry.body.answers || {}).forEach(function (code) {
        if (Array.isArray(entry.body.answers[code])) {
          entry.body.answers[code] = entry.body.answers[code].filter(function (v) { return v !== null; });
        }
      });
      replaceEntry(entry);
    });
  }

  function sendEntry(entry) {
    return uploadPending(entry).then(function () {
      return send(entry.url, { method: "POST", headers: { "Content-Type": "application/json" },
                               body: JSON.stringify(entry.body) });
    }).then(function (resp) {
      return resp.json().catch(function () { return {}; }).then(function (body) {
        if (resp.status === 200 || resp.status === 201) {
          removeEntry(entry);
          put("done:" + entry.task_id, { at: new Date().toISOString(), response: body });
          drop("draft:" + entry.task_id);
          tell("stored", entry, body);
        } else if (resp.status === 422 || resp.status === 409 || resp.status === 404) {
          removeEntry(entry);  // the registry will never take it as it is: back to the draft
          var draft = get("draft:" + entry.task_id, null) || entry.draft || {};
          draft.errors = body.errors || [{ field: "", message: body.message || String(resp.status) }];
          put("draft:" + entry.task_id, draft);
          tell("rejected", entry, body);
        } else {
          tell("waiting", entry, body);
          throw new Error("later");
        }
      });
    });
  }

  /** Send every queued submission once, in order; stops at the first that must wait. */
  function flush() {
    if (flushing) { return flushing; }
    if (offline()) { return Promise.resolve(false); }
    flushing = outbox().reduce(function (chain, entry) {
      return chain.then(function () { return sendEntry(entry); });
    }, Promise.resolve()).then(function () { return true; }, function () { return false; })
      .then(function (done) { flushing = null; tell("flushed", null, { done: done }); return done; });
    return flushing;
  }

  window.addEventListener("online", function () { flush(); });
  setInterval(function () { if (outbox().length) { flush(); } }, 30000);

  /* --- the service worker keeps the pages for a reload with no connection --------------- */
  if (root && "serviceWorker" in navigator && root.dataset.sw) {
    navigator.serviceWorker.register(root.dataset.sw, { scope: root.dataset.scope.replace(/\/$/, "") })
      .then(function () { return navigator.serviceWorker.ready; })
      .then(keepThisPage)
      .catch(function () { /* plain http on an intranet address: drafts still work */ });
  }

  /** This page was loaded before the worker watched: keep it and its scripts and styles now. */
  function keepThisPage() {
    if (!window.caches) { return null; }
    var urls = [location.pathname + location.search];
    Array.prototype.forEach.call(document.querySelectorAll("script[src], link[rel=stylesheet]"), function (node) {
      urls.push(node.getAttribute("src") || node.getAttribute("href"));
    });
    return caches.open("inspect-v1").then(function (cache) {
      return Promise.all(urls.map(function (url) {
        return cache.match(url).then(function (hit) { return hit || cache.add(url); }).catch(function () { return null; });
      }));
    });
  }

  window.Inspect = {
    t: t, get: get, put: put, drop: drop, uuid: uuid, photos: photos, send: send,
    uploadPhoto: uploadPhoto, outbox: outbox, enqueue: enqueue, flush: flush,
    onSettled: onSettled, offline: offline, strings: strings,
  };
})();
