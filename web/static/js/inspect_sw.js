/* The inspection pages' service worker: a reload with no connection still opens them.
 *
 * Pages under /inspect and the scripts and styles they use are fetched from the network
 * first and kept; with no connection the kept copy answers (the pages keep the tasks API's
 * answers themselves, in localStorage). POSTs
 * are never touched: the pages queue them themselves (inspect_store.js) and resend them
 * with their client_id, so nothing is stored twice.
 */
"use strict";

var CACHE = "inspect-v1";

self.addEventListener("install", function (event) { self.skipWaiting(); });
self.addEventListener("activate", function (event) { event.waitUntil(self.clients.claim()); });

function kept(request) {
  var url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) { return false; }
  var scope = new URL(self.registration.scope).pathname.replace(/\/$/, "");
  var base = scope.slice(0, scope.length - "/inspect".length);
  var path = url.pathname.slice(base.length);
  return path === "/inspect" || path.indexOf("/inspect/tasks/") === 0 ||
    path.indexOf("/static/") === 0;
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (!kept(request)) { return; }
  event.respondWith(fetch(request).then(function (response) {
    if (response.ok && !response.redirected) {
      var copy = response.clone();
      caches.open(CACHE).then(function (cache) { cache.put(request, copy); });
    }
    return response;
  }).catch(function () {
    return caches.open(CACHE).then(function (cache) {
      return cache.match(request, { ignoreVary: true }).then(function (hit) {
        if (hit) { return hit; }
        if (request.mode === "navigate") {  // a task never opened online: the list, at least
          var scope = new URL(self.registration.scope).pathname.replace(/\/$/, "");
          return cache.match(scope).then(function (list) {
            return list || new Response("offline", { status: 503, headers: { "Content-Type": "text/plain" } });
          });
        }
        return Response.error();
      });
    });
  }));
});
