// The print pages' button (a script file, not an inline handler: the site's CSP allows scripts from itself only).
document.addEventListener("DOMContentLoaded", () => {
  for (const button of document.querySelectorAll("[data-print]")) {
    button.addEventListener("click", () => window.print());
  }
});
