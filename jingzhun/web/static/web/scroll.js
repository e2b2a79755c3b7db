// A table that scrolls sideways inside itself (on a narrow screen, app.css) is made reachable by the keyboard
// (tabindex 0), so that someone without a mouse can scroll it with the arrow keys; a table that fits is left
// alone (no extra stop for the Tab key). Checked again when the window changes size.
(() => {
  const mark = () => {
    for (const table of document.querySelectorAll("table")) {
      const scrolls = table.scrollWidth > table.clientWidth + 1 && getComputedStyle(table).overflowX !== "visible";
      if (scrolls && !table.hasAttribute("tabindex")) {
        table.tabIndex = 0;
        table.dataset.scrolls = "1";
      } else if (!scrolls && table.dataset.scrolls) {
        table.removeAttribute("tabindex");
        delete table.dataset.scrolls;
      }
    }
  };
  document.addEventListener("DOMContentLoaded", mark);
  window.addEventListener("resize", mark);
})();
