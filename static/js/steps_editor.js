// The step editor: move, add and remove steps and options in place, then save the whole list as JSON.
// Without this script the same buttons post the form and the server does each change; with it nothing reloads.
import { about } from "./board_keyboard.js";
import { el, format, readConfig } from "./live.js";

const config = readConfig("editor-config");
const t = config.messages;
const csrf = document.querySelector('meta[name="csrf-token"]').content;
const form = document.getElementById("steps-editor");
const list = document.getElementById("step-cards");
const statusNode = document.getElementById("editor-status");
const notice = document.getElementById("editor-notice");
const summary = document.getElementById("editor-summary");
const summaryList = document.getElementById("editor-summary-list");
// ids once used stay taken until the page reloads: a removed step's id must not come back as another type
const taken = new Set(config.ids);
let dirty = false;
let saving = false;

const cards = () => [...list.querySelectorAll(":scope > .step-card")];
const movable = (card) => !card.classList.contains("is-fixed");
const cardOf = (id) => list.querySelector(`:scope > .step-card[data-step-id="${CSS.escape(id)}"]`);

// a text in the page's language, Dutch while that is empty: as the server picks it (app/i18n.py, pick)
function inLanguage(fieldOf) {
  for (const lang of [config.lang, "nl"]) {
    const field = fieldOf(lang);
    if (field && field.value.trim()) return field.value.trim();
  }
  return "";
}

function titleOf(card) {
  const id = CSS.escape(card.dataset.stepId);
  return inLanguage((lang) => card.querySelector(`[name="${id}.title.${lang}"]`))
    || card.querySelector(".step-title-text").textContent;
}

const isTitle = (card, field) => [config.lang, "nl"].some((lang) => field.name === `${card.dataset.stepId}.title.${lang}`);

function refresh() {
  const all = cards();
  all.forEach((card, index) => {
    card.querySelector(".step-number").textContent = String(index + 1);
    card.querySelector(".step-n").textContent = String(index + 1);
    const up = card.querySelector('[data-move="up"]');
    const down = card.querySelector('[data-move="down"]');
    if (up) up.disabled = !(index > 0 && movable(all[index - 1]));
    if (down) down.disabled = !(index < all.length - 1 && movable(all[index + 1]));
  });
  refreshSources(all);
  document.getElementById("add-step").disabled = all.length >= config.max_steps;
}

// "works with the answers of" lists every open question by its current title
function refreshSources(all) {
  const openTexts = all.filter((card) => card.dataset.type === "open_text")
    .map((card) => ({ id: card.dataset.stepId, title: titleOf(card) }));
  for (const select of list.querySelectorAll("select[data-open-text-select]")) {
    const own = select.closest(".step-card").dataset.stepId;
    // a removed open question stays chosen, out of sight, until it is put back or another is chosen: putting back
    // a step also puts back the steps that worked with its answers
    const value = select.value || select.dataset.removedSource || "";
    // the page words the empty choice per setting ("none" where it may stay empty); keep its words
    const empty = select.options[0]?.text || "";
    const choices = openTexts.filter((step) => step.id !== own);
    select.replaceChildren(el("option", { value: "", text: empty }),
      ...choices.map((step) => el("option", { value: step.id, text: step.title })));
    select.value = choices.some((step) => step.id === value) ? value : "";
    if (value && !select.value) select.dataset.removedSource = value;
    else delete select.dataset.removedSource;
  }
}

function changed(message) {
  dirty = true;
  notice.hidden = true;
  statusNode.textContent = message || t.unsaved;
}

function fromTemplate(id, replacements) {
  const node = document.getElementById(id).content.firstElementChild.cloneNode(true);
  for (const child of [node, ...node.querySelectorAll("*")]) {
    for (const attr of [...child.attributes]) {
      let value = attr.value;
      for (const [from, to] of replacements) value = value.split(from).join(to);
      if (value !== attr.value) child.setAttribute(attr.name, value);
    }
  }
  return node;
}

function newId(kind) {
  const inUse = new Set([...taken, ...cards().map((card) => card.dataset.stepId)]);
  if (!inUse.has(kind)) return kind;
  let number = 2;
  while (inUse.has(`${kind}_${number}`)) number += 1;
  return `${kind}_${number}`;
}

// the step next to this one, past the places of removed steps
function neighbour(card, direction) {
  let sibling = direction === "up" ? card.previousElementSibling : card.nextElementSibling;
  while (sibling && !sibling.classList.contains("step-card")) {
    sibling = direction === "up" ? sibling.previousElementSibling : sibling.nextElementSibling;
  }
  return sibling;
}

function move(card, direction) {
  const sibling = neighbour(card, direction);
  if (!sibling || !movable(sibling) || !movable(card)) return;
  if (direction === "up") sibling.before(card);
  else sibling.after(card);
  refresh();
  // keep the keyboard where it was: on the same arrow, or on the other one once this end is reached
  const same = card.querySelector(`[data-move="${direction}"]`);
  const other = card.querySelector(`[data-move="${direction === "up" ? "down" : "up"}"]`);
  (same.disabled ? other : same).focus();
  changed(format(t.moved, { title: titleOf(card), number: cards().indexOf(card) + 1 }));
}

// a removed step leaves its place with a button that puts it back, texts and all, until the steps are saved;
// that button takes the focus, so the keyboard stays where the step was and Tab goes on to the next one
function remove(card) {
  if (!movable(card)) return;
  const title = titleOf(card);
  const message = format(t.removed, { title });
  const back = el("button", { type: "button", class: "button small-button", text: t.put_back, "aria-label": about(t.put_back, title) });
  const place = el("li", { class: "step-removed" }, el("span", { text: message }), back);
  back.addEventListener("click", () => putBack(card, place));
  card.replaceWith(place);
  refresh();
  back.focus();
  changed(message);
}

function putBack(card, place) {
  // refused now rather than by the save: the steps would be past the most there may be
  if (cards().length >= config.max_steps) {
    statusNode.textContent = format(t.put_back_full, { title: titleOf(card), most: config.max_steps });
    return;
  }
  place.replaceWith(card);
  refresh();
  card.querySelector("[data-remove]").focus();
  changed(format(t.restored, { title: titleOf(card), number: cards().indexOf(card) + 1 }));
}

function add(kind) {
  if (cards().length >= config.max_steps || !document.getElementById(`step-template-${kind}`)) return;
  const id = newId(kind);
  taken.add(id);
  const card = fromTemplate(`step-template-${kind}`, [["__ID__", id]]);
  card.querySelector(".step-code code").textContent = id;
  const all = cards();
  const last = all[all.length - 1];
  if (last && !movable(last)) last.before(card);
  else list.append(card);
  if (card.querySelector(".option-list")) renumberOptions(card);
  refresh();
  const earlier = cards().slice(0, cards().indexOf(card)).filter((c) => c.dataset.type === "open_text");
  const source = card.querySelector('select[data-open-text-select="required"]');
  if (source && earlier.length) source.value = earlier[earlier.length - 1].dataset.stepId;
  // the title it got from its type, selected: typing replaces it, Tab keeps it
  const title = card.querySelector(`[name="${CSS.escape(id)}.title.nl"]`);
  title.focus();
  title.select();
  changed(format(t.added, { title: titleOf(card), number: cards().indexOf(card) + 1 }));
}

// each ✕ says which option it removes: its number and its text in the page's language (as the page draws it)
function nameOption(row) {
  const number = Number(row.dataset.option) + 1;
  const text = inLanguage((lang) => row.querySelector(`[data-lang="${lang}"] input`));
  row.querySelector("[data-remove-option]").setAttribute("aria-label", about(format(t.remove_option, { number }), text));
}

function renumberOptions(card) {
  const rows = [...card.querySelectorAll(".option-row")];
  rows.forEach((row, k) => {
    row.dataset.option = String(k);
    row.querySelector(".option-number").textContent = String(k + 1);
    row.querySelector(".option-n").textContent = String(k + 1);
    row.querySelector("[data-remove-option]").value = `remove_option:${card.dataset.stepId}:${k}`;
    nameOption(row);
  });
  card.querySelector("[data-add-option]").disabled = rows.length >= config.max_options;
}

function addOption(card) {
  const row = fromTemplate("option-template", [["__ID__", card.dataset.stepId]]);
  card.querySelector(".option-list").append(row);
  renumberOptions(card);
  row.querySelector("input").focus();
  changed();
}

function removeOption(row) {
  const card = row.closest(".step-card");
  const next = row.nextElementSibling || row.previousElementSibling;
  row.remove();
  renumberOptions(card);
  (next ? next.querySelector("input") : card.querySelector("[data-add-option]")).focus();
  changed();
}

// the step list as the server reads it: {id, type, title: {nl, en}, ..., options: [{nl, en}]}
function collect() {
  return cards().map((card) => {
    const id = card.dataset.stepId;
    const step = { id, type: card.dataset.type };
    for (const field of card.querySelectorAll("input[name], textarea[name], select[name]")) {
      if (!field.name.startsWith(`${id}.`)) continue;
      const [name, lang] = field.name.slice(id.length + 1).split(".");
      if (name === "type" || name === "options") continue;
      if (lang) (step[name] ||= {})[lang] = field.value;
      else if (field.type === "checkbox") step[name] = field.checked;
      else if (field.type === "number") { if (field.value !== "") step[name] = Number(field.value); }
      else if (field.value !== "") step[name] = field.value;
    }
    if (card.querySelector(".option-list")) {
      step.options = [...card.querySelectorAll(".option-row")].map((row) => ({
        nl: row.querySelector('[data-lang="nl"] input').value,
        en: row.querySelector('[data-lang="en"] input').value,
      }));
    }
    return step;
  });
}

function clearErrors() {
  form.querySelectorAll(".field-error").forEach((node) => node.remove());
  form.querySelectorAll("[aria-invalid]").forEach((node) => node.removeAttribute("aria-invalid"));
  summary.hidden = true;
}

// where a problem belongs: the option row, the field, or the step itself; format fields sit in the save box
function place(error) {
  if (!error.step_id) {
    return error.field ? form.querySelector(`.save-as [data-field="${CSS.escape(error.field)}"]`) : null;
  }
  const card = cardOf(error.step_id);
  if (!card) return null;
  card.querySelector("details").open = true;
  if (error.option !== null && error.option !== undefined) {
    return card.querySelector(`.option-row[data-option="${error.option}"]`) || card.querySelector('[data-field="options"]');
  }
  return (error.field && card.querySelector(`[data-field="${CSS.escape(error.field)}"]`)) || card.querySelector(".step-card-head");
}

function showErrors(data) {
  const errors = data.errors && data.errors.length ? data.errors : [{ message: data.detail || t.failed }];
  summaryList.replaceChildren(...errors.map((error) => {
    const node = place(error);
    if (!node) return el("li", { text: error.message });
    const inputs = node.querySelectorAll(error.lang ? `[data-lang="${error.lang}"] input, [data-lang="${error.lang}"] textarea` : "input, textarea, select");
    inputs.forEach((input) => input.setAttribute("aria-invalid", "true"));
    const message = el("p", { class: "field-error", text: error.problem || error.message });
    if (node.classList.contains("step-card-head")) node.after(message);
    else node.append(message);
    const jump = el("button", { type: "button", class: "link", text: error.message });
    jump.addEventListener("click", () => {
      const target = inputs[0] || node;
      target.scrollIntoView({ block: "center" });
      if (inputs[0]) inputs[0].focus();
    });
    return el("li", {}, jump);
  }));
  summary.hidden = false;
  summary.focus();
}

function showNotice(message, link) {
  notice.replaceChildren(message, ...(link ? [" ", el("a", { href: link.href, text: link.text })] : []));
  notice.hidden = false;
  statusNode.textContent = "";
}

// not disabled while saving: a disabled button drops the keyboard's focus to the page
function busy(on) {
  saving = on;
  for (const button of form.querySelectorAll("#save-steps, #save-as")) button.setAttribute("aria-disabled", String(on));
  if (on) statusNode.textContent = t.saving;
}

async function send(url, body) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRF-Token": csrf },
    body: JSON.stringify(body),
  });
  return { ok: response.ok, data: await response.json().catch(() => ({ detail: String(response.status) })) };
}

async function submit(url, body, onDone) {
  if (saving) return;
  clearErrors();
  busy(true);
  try {
    const { ok, data } = await send(url, body);
    statusNode.textContent = "";
    if (ok) onDone(data);
    else showErrors(data);
  } catch {
    statusNode.textContent = t.offline;
  } finally {
    busy(false);
  }
}

function save() {
  submit(form.getAttribute("action"), { steps: collect() }, (data) => {
    dirty = false;
    // stored without them: nothing left to put back
    list.querySelectorAll(":scope > .step-removed").forEach((place) => place.remove());
    showNotice(data.message, { href: `/f/workshops/${config.workshop}`, text: t.to_board });
  });
}

function saveAs() {
  const body = {
    key: document.getElementById("format-key").value,
    name: document.getElementById("format-name").value,
    description: document.getElementById("format-description").value,
    overwrite: document.getElementById("format-overwrite").checked,
    steps: collect(),
  };
  submit(`/f/workshops/${config.workshop}/steps/format`, body, (data) => {
    showNotice(data.message, { href: data.url, text: t.to_formats });
  });
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const button = event.submitter;
  const [action, id] = (button && button.value ? button.value : "save").split(":");
  const card = id ? cardOf(id) : null;
  if ((action === "up" || action === "down") && card) move(card, action);
  else if (action === "remove" && card) remove(card);
  else if (action === "add") add(document.getElementById("add-type").value);
  else if (action === "add_option" && card) addOption(card);
  else if (action === "remove_option") removeOption(button.closest(".option-row"));
  else if (action === "save_as") saveAs();
  else save();
});

form.addEventListener("input", (event) => {
  const field = event.target;
  if (field.closest(".save-as")) return;
  // chosen by hand: a removed question no longer comes back in its place
  if (field.matches("select[data-open-text-select]")) delete field.dataset.removedSource;
  if (field.closest(".option-row .lang-field")) nameOption(field.closest(".option-row"));
  const card = field.closest(".step-card");
  if (card && isTitle(card, field)) {
    card.querySelector(".step-title-text").textContent = titleOf(card);
    if (card.dataset.type === "open_text") refreshSources(cards());
  }
  changed();
});

window.addEventListener("beforeunload", (event) => {
  if (dirty) event.preventDefault();
});
