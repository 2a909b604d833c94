// The participant's phone: answers are kept on the phone until the server says they are stored.
import { Live, el, format, newId, pick, readConfig, showStatus } from "./live.js";

const config = readConfig("phone-config");
const t = config.messages;
const outboxKey = `doorbraak:outbox:${config.code}`;
const state = { workshop: null, answers: [], options: [], outbox: loadOutbox() };
const stepNode = document.getElementById("step");
const mineNode = document.getElementById("my-answers");
const statusNode = document.getElementById("status");

function loadOutbox() {
  try {
    const items = JSON.parse(localStorage.getItem(outboxKey) || "[]");
    return Array.isArray(items) ? items : [];
  } catch {
    return [];
  }
}

function saveOutbox() {
  localStorage.setItem(outboxKey, JSON.stringify(state.outbox));
}

function currentStep() {
  const w = state.workshop;
  return w ? w.steps[w.step_index] : null;
}

function fill(fragment, slot, text) {
  const node = fragment.querySelector(`[data-slot="${slot}"]`);
  if (node) node.textContent = text;
  return node;
}

function renderStep() {
  const step = currentStep();
  if (!step) return;
  const previous = stepNode.querySelector("form");
  const draft = previous && previous.dataset.step === step.id
    ? { text: previous.querySelector("textarea").value, link: previous.querySelector("select")?.value }
    : null;
  let fragment;
  if (state.workshop.closed || step.type === "close") {
    fragment = document.getElementById("tpl-close").content.cloneNode(true);
  } else if (step.type === "open_text") {
    fragment = document.getElementById("tpl-open-text").content.cloneNode(true);
    buildAnswerForm(fragment, step, draft);
  } else {
    fragment = document.getElementById("tpl-lobby").content.cloneNode(true);
    fill(fragment, "title", state.workshop.title);
    fill(fragment, "opgave", state.workshop.opgave);
  }
  stepNode.replaceChildren(fragment);
  stepNode.dataset.step = step.id;
}

function buildAnswerForm(fragment, step, draft) {
  fill(fragment, "title", pick(step.title, config.lang));
  fill(fragment, "prompt", pick(step.prompt, config.lang));
  const help = fill(fragment, "help", pick(step.help, config.lang));
  if (!help.textContent) help.remove();
  const form = fragment.querySelector("form");
  form.dataset.step = step.id;
  const textarea = fragment.querySelector("textarea");
  const counter = fragment.querySelector('[data-slot="counter"]');
  const select = fragment.querySelector("select");
  const max = step.max_length || 200;
  if (step.links_to) {
    for (const option of state.options) select.append(el("option", { value: option.id, text: option.text }));
    if (draft && draft.link) select.value = draft.link;
  } else {
    fragment.querySelector('[data-slot="link-label"]').remove();
  }
  if (draft) textarea.value = draft.text;
  const updateCounter = () => {
    const n = textarea.value.trim().length;
    counter.textContent = format(t.counter, { n, max });
    counter.classList.toggle("over", n > max);
  };
  textarea.addEventListener("input", updateCounter);
  updateCounter();
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submit(form, step, max);
  });
}

function submit(form, step, max) {
  const textarea = form.querySelector("textarea");
  const select = form.querySelector("select");
  const error = form.querySelector('[data-slot="error"]');
  const text = textarea.value.trim();
  let problem = null;
  if (!text) problem = t.empty;
  else if (text.length > max) problem = format(t.too_long, { max });
  else if (step.links_to && !(select && select.value)) problem = t.pick;
  error.hidden = !problem;
  error.textContent = problem || "";
  if (problem) return;
  const item = {
    client_id: newId(), step: step.id, text, links_to: step.links_to ? Number(select.value) : null, state: "pending",
  };
  state.outbox.push(item);
  saveOutbox();
  textarea.value = "";
  textarea.dispatchEvent(new Event("input"));
  renderMine();
  send(item);
  textarea.focus();
}

function send(item) {
  live.send({ type: "answer", client_id: item.client_id, step: item.step, text: item.text, links_to: item.links_to });
}

function flush() {
  for (const item of state.outbox) if (item.state === "pending") send(item);
}

function optionText(id) {
  const found = state.options.find((option) => option.id === id);
  return found ? found.text : null;
}

function answerItem(text, linksTo, status, label) {
  const link = linksTo ? optionText(linksTo) : null;
  return el("li", { class: `answer ${status}` },
    el("span", { class: "text", text }),
    link ? el("span", { class: "link muted", text: format(t.contribution_to, { text: link }) }) : null,
    el("span", { class: "tick", text: label }));
}

function renderMine() {
  const items = [];
  for (const item of state.outbox) {
    if (item.state === "failed") {
      const li = answerItem(item.text, item.links_to, "failed", `⚠ ${t.failed}: ${item.error}`);
      const dismiss = el("button", { class: "link", type: "button", text: t.dismiss });
      dismiss.addEventListener("click", () => {
        state.outbox = state.outbox.filter((other) => other !== item);
        saveOutbox();
        renderMine();
      });
      li.append(dismiss);
      items.push(li);
    } else {
      items.push(answerItem(item.text, item.links_to, "pending", `⏳ ${live.isOpen() ? t.sending : t.waiting}`));
    }
  }
  for (const answer of [...state.answers].reverse()) {
    items.push(answerItem(answer.text, answer.links_to, "received", `✓ ${t.received}`));
  }
  if (!items.length) items.push(el("li", { class: "empty muted", text: t.nothing }));
  mineNode.replaceChildren(...items);
}

function acknowledge(frame) {
  const item = state.outbox.find((entry) => entry.client_id === frame.client_id);
  state.outbox = state.outbox.filter((entry) => entry.client_id !== frame.client_id);
  saveOutbox();
  if (item && !state.answers.some((answer) => answer.id === frame.answer_id)) {
    state.answers.push({ id: frame.answer_id, text: item.text, links_to: item.links_to, client_id: item.client_id });
  }
  renderMine();
}

function refuse(frame) {
  const item = state.outbox.find((entry) => entry.client_id === frame.client_id);
  if (!item) {
    const error = stepNode.querySelector('[data-slot="error"]');
    if (error) {
      error.hidden = false;
      error.textContent = frame.message;
    }
    return;
  }
  if (frame.code === "rate_limited") {
    setTimeout(flush, Math.max(1, frame.retry_after || 1) * 1000);
    return;
  }
  item.state = "failed";
  item.error = frame.message;
  saveOutbox();
  renderMine();
}

function onFrame(frame) {
  if (frame.type === "snapshot") {
    state.workshop = frame.workshop;
    state.answers = frame.answers;
    state.options = frame.options || [];
    // an answer stored before the connection dropped is acknowledged again when resent; drop it from the outbox now
    const stored = new Set(state.answers.map((answer) => answer.client_id));
    state.outbox = state.outbox.filter((item) => !stored.has(item.client_id));
    saveOutbox();
    renderStep();
    renderMine();
  } else if (frame.type === "event" && frame.kind === "step.changed") {
    state.workshop.step_index = frame.data.step_index;
    state.workshop.closed = frame.data.closed;
    const step = currentStep();
    if (step.links_to && !frame.data.closed) live.send({ type: "refresh" });
    renderStep();
  } else if (frame.type === "ack") {
    acknowledge(frame);
  } else if (frame.type === "error") {
    refuse(frame);
  }
}

const live = new Live(`/ws/phone/${config.code}`, {
  workshop: config.workshop,
  onFrame,
  onStatus: (status) => {
    showStatus(statusNode, status, t);
    if (status === "online") flush();
    renderMine();
  },
});
live.start();
