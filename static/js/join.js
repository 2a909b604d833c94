// The join form's organisation field. Without this script the form offers a plain list and a field for any other
// name; with it, one field suggests the workspace's organisations while typing, and any other name still goes.
import { searchWords, suggest } from "./organisation_search.js";

const pick = document.getElementById("organisation-pick");
if (pick) typeAhead(pick);

function typeAhead(pick) {
  const choice = pick.querySelector(".organisation-choice");
  const select = choice.querySelector("select");
  const label = pick.querySelector("[data-label]");
  const input = pick.querySelector("input[name=organisation]");
  const list = pick.querySelector("[role=listbox]");
  // the page's list, names only, until the list with every other name (short names, aliases) arrives
  let choices = [...select.options].slice(1, -1).map((option) => ({ name: option.value, also: [] }));
  let shown = [];
  let active = -1;

  if (!input.value && select.value) input.value = select.value;
  choice.remove();
  label.textContent = label.dataset.alone;
  input.required = input.dataset.required === "true";
  input.autocomplete = "off"; // the browser's own suggestions would cover ours
  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-controls", list.id);
  input.setAttribute("aria-expanded", "false");
  pick.querySelector("[data-hint]").hidden = false;

  fetch(pick.dataset.source, { headers: { Accept: "application/json" } })
    .then((response) => (response.ok ? response.json() : null))
    .then((data) => {
      if (data) {
        choices = data.organisations;
        if (document.activeElement === input) show();
      }
    })
    .catch(() => {}); // offline for a moment: the page's own list still suggests names

  function show() {
    const typed = searchWords(input.value).join(" ");
    shown = suggest(input.value, choices);
    // a name typed in full needs no suggestion
    if (shown.some((found) => searchWords(found.name).join(" ") === typed)) shown = [];
    active = -1;
    list.replaceChildren(...shown.map(option));
    list.hidden = !shown.length;
    input.setAttribute("aria-expanded", String(!list.hidden));
    input.removeAttribute("aria-activedescendant");
  }

  function option(found, index) {
    const item = document.createElement("li");
    item.id = `organisation-option-${index}`;
    item.setAttribute("role", "option");
    item.setAttribute("aria-selected", "false");
    item.append(found.name);
    if (found.via) {
      const via = document.createElement("span");
      via.className = "via";
      via.textContent = found.via;
      item.append(" ", via);
    }
    // keep the focus in the field, so the list does not close before the tap lands
    item.addEventListener("pointerdown", (event) => event.preventDefault());
    item.addEventListener("click", () => choose(index));
    return item;
  }

  function choose(index) {
    input.value = shown[index].name;
    close();
  }

  function close() {
    shown = [];
    active = -1;
    list.hidden = true;
    list.replaceChildren();
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
  }

  function highlight(index) {
    active = (index + shown.length) % shown.length;
    [...list.children].forEach((item, i) => item.setAttribute("aria-selected", String(i === active)));
    input.setAttribute("aria-activedescendant", list.children[active].id);
    list.children[active].scrollIntoView({ block: "nearest" });
  }

  input.addEventListener("input", show);
  input.addEventListener("blur", close);
  // the list pushes "Meedoen" down: closing it as the field lets go would move the button up from under the finger,
  // and the tap would land on nothing. So a press on a button keeps the focus (and the list) until the tap lands.
  document.addEventListener("pointerdown", (event) => {
    if (!list.hidden && event.target.closest("button")) event.preventDefault();
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      close();
    } else if ((event.key === "ArrowDown" || event.key === "ArrowUp") && shown.length) {
      event.preventDefault();
      const down = event.key === "ArrowDown";
      highlight(active < 0 ? (down ? 0 : shown.length - 1) : active + (down ? 1 : -1));
    } else if (event.key === "Enter" && active >= 0) {
      event.preventDefault(); // Enter on a suggestion picks it; the next Enter sends the form
      choose(active);
    }
  });
}
