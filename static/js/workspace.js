// The workspace page: ask before removing a member or revoking an invitation; copy a new invitation's link.

for (const form of document.querySelectorAll("form[data-confirm]")) {
  form.addEventListener("submit", (event) => {
    if (!window.confirm(form.dataset.confirm)) event.preventDefault();
  });
}

async function copyField(field) {
  try {
    await navigator.clipboard.writeText(field.value);
  } catch {
    // no clipboard access (an older browser, or permission refused): select it for the person to copy
    field.select();
    document.execCommand("copy");
  }
}

for (const button of document.querySelectorAll("button[data-copy]")) {
  const field = document.getElementById(button.dataset.copy);
  const label = button.textContent;
  button.addEventListener("click", async () => {
    await copyField(field);
    button.textContent = button.dataset.copied;
    setTimeout(() => { button.textContent = label; }, 2500);
  });
}
