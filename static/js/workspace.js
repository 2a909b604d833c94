// The workspace page: ask before removing a member or revoking an invitation; copy a new invitation's link.
import { copyButtons } from "./copy.js";

for (const form of document.querySelectorAll("form[data-confirm]")) {
  form.addEventListener("submit", (event) => {
    if (!window.confirm(form.dataset.confirm)) event.preventDefault();
  });
}
copyButtons();
