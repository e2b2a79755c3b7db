/* Every page of the phone app: the service worker, the network state, the outbox's count, and sending what
 * waits when the network returns (the "online" event) and when a page loads. */
(function () {
  "use strict";
  var outbox = window.jingzhunOutbox;
  var net = document.getElementById("net");
  var count = document.getElementById("outbox-count");
  var note = document.getElementById("outbox-note");

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/m/sw.js", { scope: "/m/" }).catch(function () { /* works without it */ });
  }

  function showNetwork() {
    net.textContent = navigator.onLine ? "在线" : "离线 · 记录保存在手机上";
    net.className = "net " + (navigator.onLine ? "online" : "offline");
  }

  function showCount() {
    return outbox.all().then(function (rows) {
      var queued = rows.filter(function (r) { return r.state === "queued"; }).length;
      var refused = rows.filter(function (r) { return r.state === "refused"; }).length;
      var sent = rows.filter(function (r) { return r.state === "sent"; }).length;
      count.textContent = String(queued);
      count.setAttribute("data-queued", String(queued));
      count.setAttribute("data-refused", String(refused));
      count.setAttribute("data-sent", String(sent));
      note.textContent = (refused ? refused + " 条被退回，请在待发送页查看原因。" : "") +
                         (sent ? "已发送 " + sent + " 条。" : "");
    });
  }

  outbox.onChange(showCount);
  window.addEventListener("online", function () { showNetwork(); outbox.flush(); });
  window.addEventListener("offline", showNetwork);
  showNetwork();
  showCount().then(function () { return outbox.flush(); });

  // Logging out: the pages the worker kept (personal data) go with the session; the outbox stays.
  var logout = document.querySelector("form[data-logout]");
  if (logout && window.caches) {
    logout.addEventListener("submit", function () { caches.delete("jingzhun-m-pages"); });
  }
})();
