// A "Kopieer link" button beside a read-only link shown once (an invitation, a calendar link): a phone can hardly
// select all of a long field by hand.

async function copyField(field) {
  try {
    await navigator.clipboard.writeText(field.value);
  } catch {
    // no clipboard access (an older browser, or permission refused): select it for the person to copy
    field.select();
    document.execCommand("copy");
  }
}

/** Make every button[data-copy] on the page copy the field its data-copy names, and say so for a moment. */
export function copyButtons() {
  for (const button of document.querySelectorAll("button[data-copy]")) {
    const field = document.getElementById(button.dataset.copy);
    const label = button.textContent;
    button.addEventListener("click", async () => {
      await copyField(field);
      button.textContent = button.dataset.copied;
      setTimeout(() => { button.textContent = label; }, 2500);
    });
  }
}
