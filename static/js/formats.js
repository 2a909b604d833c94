// The formats page: ask before deleting an own format, and refuse a file that is too large before sending it.
import { el, readConfig } from "./live.js";

const config = readConfig("formats-config");

for (const form of document.querySelectorAll("form[data-confirm]")) {
  form.addEventListener("submit", (event) => {
    if (!window.confirm(form.dataset.confirm)) event.preventDefault();
  });
}

const upload = document.getElementById("upload-form");
const error = document.getElementById("upload-error");
upload.addEventListener("submit", (event) => {
  const file = upload.elements.file.files[0];
  if (file && file.size > config.max_bytes) {
    event.preventDefault();
    error.replaceChildren(el("p", { text: config.messages.too_large }));
    error.hidden = false;
  }
});
