/* Follows an import queued for a worker and running in the background; reloads the page when it has finished. */
(function () {
  "use strict";
  var bar = document.getElementById("progress");
  if (!bar) { return; }
  var stage = document.getElementById("stage");
  function poll() {
    fetch(bar.dataset.url, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (p) {
      if (p.state && p.state !== "running") { window.location.reload(); return; }
      var order = { read: 0, validate: 1, write: 2 };
      if (p.stage === "queued") { bar.value = 0; stage.textContent = stage.dataset.queued || ""; }
      if (p.stage in order) { bar.value = (order[p.stage] + (p.done || 0)) / 3; stage.textContent = stage.dataset[p.stage] || ""; }
      setTimeout(poll, 1000);
    }).catch(function () { setTimeout(poll, 3000); });
  }
  poll();
})();
