/* The outbox: records made on the phone, kept in IndexedDB until the server has them.
 *
 * Each record carries an id made on the phone (crypto.randomUUID) that is sent as its Idempotency-Key, so a
 * record sent twice — a lost answer, two open pages, a forced resend — lands once. States:
 *   queued  — not yet accepted (no network, a server fault): sent again on "online", on load, on "Send now";
 *   sent    — the server answered 2xx (kept three days, so the person sees it went, then dropped);
 *   refused — the server refused it (422, 403, 404, 409): kept with the problem's words until the person
 *             changes or discards it.
 * Only one page sends at a time (Web Locks), so two open pages do not race over the same record. */
(function () {
  "use strict";
  var DB = "jingzhun-outbox", STORE = "records", KEEP_SENT_MS = 3 * 24 * 3600 * 1000;
  var RETRY_STATUSES = [408, 425, 429, 500, 502, 503, 504];
  var listeners = [];
  // Other open pages of the app hear of every change (their counts and lists follow).
  var channel = window.BroadcastChannel ? new BroadcastChannel("jingzhun-outbox") : null;
  if (channel) { channel.onmessage = function () { listeners.forEach(function (f) { f(); }); }; }

  function open() {
    return new Promise(function (resolve, reject) {
      var request = indexedDB.open(DB, 1);
      request.onupgradeneeded = function () { request.result.createObjectStore(STORE, { keyPath: "id" }); };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  function run(mode, work) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(STORE, mode), store = tx.objectStore(STORE), result;
        var request = work(store);
        if (request) { request.onsuccess = function () { result = request.result; }; }
        tx.oncomplete = function () { db.close(); resolve(result); };
        tx.onerror = function () { db.close(); reject(tx.error); };
      });
    });
  }

  /* The logged-in user's records only: a phone shared by two helpers never sends one's record as the other's
   * (each waits, on the phone, for its own person to log in again). */
  function currentUser() { return document.body.getAttribute("data-user") || ""; }

  function all() {
    return run("readonly", function (s) { return s.getAll(); }).then(function (rows) {
      return (rows || []).filter(function (r) { return r.user === currentUser(); })
        .sort(function (a, b) { return a.created < b.created ? -1 : 1; });
    });
  }
  function get(id) {
    return run("readonly", function (s) { return s.get(id); }).then(function (r) {
      return r && r.user === currentUser() ? r : undefined;
    });
  }
  function put(record) { return run("readwrite", function (s) { return s.put(record); }).then(changed); }
  function remove(id) { return run("readwrite", function (s) { return s.delete(id); }).then(changed); }

  function changed() {
    listeners.forEach(function (f) { f(); });
    if (channel) { channel.postMessage("changed"); }
  }
  function onChange(f) { listeners.push(f); }

  function newId() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    var bytes = crypto.getRandomValues(new Uint8Array(16));
    return Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
  }

  /* Queue a record: {kind, url, label, body, page, form}. */
  function add(record) {
    record.id = record.id || newId();
    record.user = currentUser();
    record.state = "queued";
    record.created = record.created || new Date().toISOString();
    record.reason = "";
    return put(record).then(function () { return record; });
  }

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : (document.body.getAttribute("data-csrf") || "");
  }

  /* The problem document's words, Chinese first: its field errors, else its detail. */
  function reasonOf(problem, status) {
    if (!problem || typeof problem !== "object") { return "服务器拒绝了这条记录（" + status + "）"; }
    var errors = (problem.errors || []).map(function (e) { return e.zh || e.en; }).filter(Boolean);
    var detail = String(problem.detail || problem.title || status).split(" / ")[0];
    return errors.length ? detail + "：" + errors.join("；") : detail;
  }

  function send(record) {
    return fetch(record.url, {
      method: "POST", credentials: "same-origin", cache: "no-store",
      headers: { "Content-Type": "application/json", "Accept": "application/json",
                 "X-CSRFToken": csrfToken(), "Idempotency-Key": record.id },
      body: JSON.stringify(record.body)
    }).then(function (response) {
      return response.json().catch(function () { return null; }).then(function (answer) {
        return { status: response.status, ok: response.ok, answer: answer };
      });
    });
  }

  function settle(record, result) {
    var problemType = result.answer && result.answer.type ? String(result.answer.type) : "";
    if (result.ok) {
      record.state = "sent";
      record.sent = new Date().toISOString();
      record.answer = result.answer;
      record.reason = "";
    } else if (RETRY_STATUSES.indexOf(result.status) >= 0 || problemType.indexOf("idempotency-in-progress") >= 0) {
      record.state = "queued";
      record.reason = reasonOf(result.answer, result.status);
    } else if (result.status === 401 || (result.status === 403 && problemType.indexOf("csrf") >= 0)) {
      record.state = "queued";  // logged out, or a stale page: kept, sent after logging in again
      record.reason = "请重新登录后再发送 / log in again to send";
    } else {
      record.state = "refused";
      record.reason = reasonOf(result.answer, result.status);
    }
    return put(record);
  }

  function sendQueued() {
    return all().then(function (rows) {
      var now = Date.now();
      var chain = Promise.resolve();
      rows.forEach(function (record) {
        if (record.state === "sent" && now - Date.parse(record.sent) > KEEP_SENT_MS) {
          chain = chain.then(function () { return remove(record.id); });
        }
        if (record.state !== "queued") { return; }
        chain = chain.then(function () {
          return send(record).then(function (result) { return settle(record, result); },
                                   function () { return null; });  // no network: stays queued
        });
      });
      return chain;
    });
  }

  /* Send what is queued, one page at a time. */
  function flush() {
    if (navigator.onLine === false) { return Promise.resolve(); }
    if (navigator.locks && navigator.locks.request) {
      return navigator.locks.request("jingzhun-outbox", sendQueued);
    }
    return sendQueued();
  }

  /* Send a record again with its own id (a sent one lands no second time; a refused one is tried anew). */
  function resend(id) {
    return get(id).then(function (record) {
      if (!record) { return null; }
      return send(record).then(function (result) {
        return settle(record, result).then(function () { return result; });
      });
    });
  }

  function retry(id) {
    return get(id).then(function (record) {
      if (!record) { return null; }
      record.state = "queued";
      return put(record).then(flush);
    });
  }

  window.jingzhunOutbox = { add: add, all: all, get: get, remove: remove, flush: flush, resend: resend,
                            retry: retry, onChange: onChange, newId: newId };
})();
