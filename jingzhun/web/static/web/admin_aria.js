// Django's admin filter box (admin/js/SelectFilter2.js, used for a group's and a user's permissions) makes its
// search icon a <span> with an aria-label: ARIA does not allow a name on an element without a role (axe:
// aria-prohibited-attr, "serious"), so screen readers may drop it. The icon is an image of a magnifying glass:
// role="img" makes its name allowed. SelectFilter2 builds the box on the window's load event, after this
// script has run, hence the observer; it stops once the page has loaded and been fixed.
(() => {
  const fix = () => {
    for (const icon of document.querySelectorAll("span.search-label-icon[aria-label]:not([role])")) {
      icon.setAttribute("role", "img");
    }
  };
  const watch = new MutationObserver(fix);
  watch.observe(document.documentElement, { childList: true, subtree: true });
  window.addEventListener("load", () => setTimeout(() => { fix(); watch.disconnect(); }, 0));
})();
