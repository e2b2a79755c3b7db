/* The phone app's service worker (scope /m/). The app shell — scripts, stylesheet, icons — is kept and served
 * from the cache first; the pages and the API's reads go to the network first and fall back to the last copy
 * read, so a helper in a village without a signal still sees their households and can fill in the forms.
 * Writes are never touched here: the pages' outbox (outbox.js) keeps and sends them. */
"use strict";
var SHELL = "jingzhun-m-shell-v1", PAGES = "jingzhun-m-pages";
var SHELL_FILES = ["/static/mobile/app.css", "/static/mobile/outbox.js", "/static/mobile/app.js",
                   "/static/mobile/record.js", "/static/mobile/outbox_page.js", "/static/mobile/icon-192.png",
                   "/static/mobile/icon-512.png", "/m/manifest.webmanifest"];

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(SHELL).then(function (cache) { return cache.addAll(SHELL_FILES); })
    .then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) { return n.indexOf("jingzhun-m-shell") === 0 && n !== SHELL; })
      .map(function (n) { return caches.delete(n); }));
  }).then(function () { return self.clients.claim(); }));
});

function networkFirst(request) {
  return fetch(request).then(function (response) {
    if (response.ok && !response.redirected) {
      var copy = response.clone();
      caches.open(PAGES).then(function (cache) { cache.put(request, copy); });
    }
    return response;
  }).catch(function () {
    return caches.match(request, { ignoreSearch: request.mode === "navigate" }).then(function (found) {
      return found || new Response("<!doctype html><html lang=\"zh-Hans\"><meta charset=\"utf-8\"><title>离线</title>" +
        "<p>离线：此页面尚未在手机上保存，请联网后再打开。</p></html>",
        { status: 503, headers: { "Content-Type": "text/html; charset=utf-8" } });
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") { return; }
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  if (url.pathname.indexOf("/static/") === 0) {
    event.respondWith(caches.match(request).then(function (found) { return found || fetch(request); }));
  } else if (url.pathname.indexOf("/m/") === 0 || url.pathname.indexOf("/api/v1/") === 0) {
    event.respondWith(networkFirst(request));
  }
});
