// The besluitenlijst's print button; a module because the CSP allows no inline script.
for (const button of document.querySelectorAll("[data-print]")) {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
}
