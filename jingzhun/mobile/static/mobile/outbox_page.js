/* The outbox page: every record on the phone with its state, and for a refused one the server's reason in
 * words, with "send again", "change" (back to its form) and "discard". */
(function () {
  "use strict";
  var outbox = window.jingzhunOutbox;
  var list = document.getElementById("outbox-list");
  var template = document.getElementById("outbox-item");
  var words = document.getElementById("words").dataset;

  function item(record) {
    var node = template.content.firstElementChild.cloneNode(true);
    node.setAttribute("data-record", record.id);
    node.setAttribute("data-state", record.state);
    node.setAttribute("data-kind", record.kind);
    node.querySelector("[data-label]").textContent = record.label;
    node.querySelector("[data-created]").textContent = record.created.slice(0, 16).replace("T", " ");
    node.querySelector("[data-state]").textContent = words[record.state] || record.state;
    node.querySelector("[data-reason]").textContent = record.reason || "";
    var actions = node.querySelector("[data-actions]");
    if (record.state === "sent") { actions.remove(); return node; }
    node.querySelector("[data-retry]").addEventListener("click", function () { outbox.retry(record.id); });
    var edit = node.querySelector("[data-edit]");
    if (record.page && record.state === "refused") {
      edit.href = record.page + "?edit=" + encodeURIComponent(record.id);
    } else { edit.remove(); }
    node.querySelector("[data-discard]").addEventListener("click", function () {
      if (window.confirm(words.confirm)) { outbox.remove(record.id); }
    });
    return node;
  }

  function show() {
    return outbox.all().then(function (rows) {
      list.replaceChildren.apply(list, rows.slice().reverse().map(item));
    });
  }

  outbox.onChange(show);
  document.getElementById("send-now").addEventListener("click", function () { outbox.flush(); });
  show();
})();
