// The facilitator's board: every answer live, moderation, and the steps under the keyboard.
import { createPanels } from "./board_panels.js";
import { createResults } from "./board_results.js";
import { createStage } from "./board_stage.js";
import { createSuggest } from "./board_suggest.js";
import { about, focusPlace, gist, isBoardKey, keepFocus } from "./board_keyboard.js";
import { Live, el, format, nameList, pick, readConfig, showRemoved, showStatus } from "./live.js";
import { applyFrame, newRoom } from "./room.js";

const config = readConfig("board-config");
const t = config.messages;
const csrf = document.querySelector('meta[name="csrf-token"]').content;
const state = newRoom();
const panels = createPanels({ state, t, config });
const answersNode = document.getElementById("answers");
const statusNode = document.getElementById("status");

async function post(url, fields) {
  const response = await fetch(url, {
    method: "POST",
    headers: { Accept: "application/json", "X-CSRF-Token": csrf },
    body: new URLSearchParams(fields),
  });
  if (!response.ok) {
    const body = await response.json().catch(() => ({}));
    window.alert(format(t.failed, { reason: body.detail || response.status }));
    return null;
  }
  return response.json();
}

const results = createResults({ state, config, post: panels.send });
const suggest = createSuggest({ state, t, config, send: panels.send });
const stage = createStage({ state, config, post });

function moveStep(to) {
  return post(`/f/workshops/${config.id}/step`, { to: String(to) });
}

document.getElementById("steps-form").addEventListener("submit", (event) => {
  event.preventDefault();
  if (event.submitter) moveStep(event.submitter.value);
});

document.addEventListener("keydown", (event) => {
  if (!isBoardKey(event)) return;
  if (panels.onKey(event)) return;
  if (suggest.onKey(event)) return;
  if (stage.onKey(event)) return;
  // past the first or last step there is nowhere to go: a clicker pressed once too often must not raise an alert
  if (["ArrowRight", "PageDown"].includes(event.key)) {
    event.preventDefault();
    if (!document.getElementById("next-step").disabled) moveStep("next");
  } else if (["ArrowLeft", "PageUp"].includes(event.key)) {
    event.preventDefault();
    if (!document.getElementById("prev-step").disabled) moveStep("prev");
  }
});

// the step the room is on, said aloud when it changes: → moves the whole room from anywhere on the page, and a
// listener would otherwise not hear that it did (not on the first frame: the page says it already)
const stepNow = document.getElementById("step-now");
let stepShown = null;

function renderSteps() {
  const w = state.workshop;
  if (stepShown !== null && stepShown !== w.step_index) {
    stepNow.textContent = format(t.step_now, { n: w.step_index + 1, total: w.steps.length,
      title: pick(w.steps[w.step_index].title, config.lang) });
  }
  stepShown = w.step_index;
  // steps edited before the start arrive in "workshop.changed": rebuild the buttons once they no longer match
  const labels = w.steps.map((step, index) => `${index + 1}. ${pick(step.title, config.lang)}`);
  const buttons = [...document.querySelectorAll(".step-button")];
  if (buttons.length !== labels.length || buttons.some((button, index) => button.textContent !== labels[index])) {
    document.getElementById("step-list").replaceChildren(...labels.map((label, index) => el("li", {},
      el("button", { class: "step-button", name: "to", value: String(index), "data-index": String(index), text: label }))));
  }
  for (const button of document.querySelectorAll(".step-button")) {
    const current = Number(button.dataset.index) === w.step_index;
    button.classList.toggle("current", current);
    if (current) button.setAttribute("aria-current", "step");
    else button.removeAttribute("aria-current");
  }
  document.getElementById("prev-step").disabled = w.step_index === 0;
  document.getElementById("next-step").disabled = w.step_index === w.steps.length - 1;
}

function renderRoom() {
  document.getElementById("room-count").textContent = state.room.count;
  const chips = Object.entries(state.room.organisations).map(([name, n]) => el("li", { class: "chip" }, ...nameList([name]), ` · ${n}`));
  document.getElementById("organisations").replaceChildren(...chips);
}

function answerRow(answer) {
  const verb = answer.hidden ? t.show : t.hide;
  const button = el("button", { class: "link", type: "button", text: verb, "aria-label": about(verb, answer.text) });
  button.addEventListener("click", () => {
    // once a press, but not disabled meanwhile: a disabled button drops the keyboard's focus to the page
    if (button.dataset.busy) return;
    button.dataset.busy = "true";
    post(`/f/workshops/${config.id}/answers/${answer.id}/hidden`, { hidden: String(!answer.hidden) })
      .finally(() => { delete button.dataset.busy; });
  });
  const linked = answer.links_to ? state.answers.get(answer.links_to) : null;
  const spotlit = state.stage.spotlight === answer.id;
  // focusable, so S puts the focused answer in the spotlight (board_stage.js); named by its first words and who
  // sent it, so Tab through forty answers is not forty answers read out whole
  const name = gist(answer.text, answer.author || t.anonymous, answer.organisation, answer.hidden ? t.hidden : null);
  return el("li", { class: `board-answer${answer.hidden ? " is-hidden" : ""}${spotlit ? " is-spotlit" : ""}`, "data-id": answer.id,
    tabindex: "0", "aria-label": name },
    el("p", { class: "text", text: answer.text }),
    linked ? el("p", { class: "link muted", text: `↳ ${linked.text}` }) : null,
    el("p", { class: "meta muted" }, ...nameList([answer.author || t.anonymous, answer.organisation, config.results.themes[answer.theme]].filter(Boolean), " · ")),
    answer.hidden ? el("span", { class: "badge", text: t.hidden }) : null,
    el("div", { class: "answer-buttons" }, answer.hidden ? null : stage.spotlightButton(answer), button));
}

function renderAnswers() {
  const w = state.workshop;
  const groups = [];
  for (const step of w.steps.filter((s) => s.type === "open_text")) {
    // answers waiting for approval are in the queue above (board_stage.js)
    const rows = [...state.answers.values()].filter((a) => a.step === step.id && !a.held).reverse();
    if (!rows.length) continue;
    groups.push(el("h3", { text: `${pick(step.title, config.lang)} (${rows.length})` }));
    groups.push(el("ul", { class: "board-list" }, ...rows.map(answerRow)));
  }
  if (!groups.length) groups.push(el("p", { class: "muted", text: t.none }));
  answersNode.replaceChildren(...groups);
  document.getElementById("answer-count").textContent = state.answers.size ? `(${state.answers.size})` : "";
}

function onFrame(frame) {
  if (frame.type === "error" && frame.code === "signed_out") {
    // signed out elsewhere (everywhere, or the session ran out): the sign-in page, which also forgets this tab's piles
    live.drop();
    location.assign(`/f/login?next=${encodeURIComponent(location.pathname)}`);
    return;
  }
  const first = frame.type === "snapshot";
  if (!applyFrame(state, frame, { keepHidden: true })) return;
  scheduleRender();
}

let pending = false;
function scheduleRender() {
  // a burst of answers becomes one repaint per frame, not one per answer
  if (pending) return;
  pending = true;
  requestAnimationFrame(() => {
    pending = false;
    // the lists are drawn anew: the focus goes back to where it was (board_keyboard.js)
    const place = focusPlace();
    renderSteps();
    renderRoom();
    renderAnswers();
    panels.render();
    suggest.render();
    results.render();
    stage.render();
    if (!bingoToggle.disabled) bingoToggle.checked = Boolean(state.bingo && state.bingo.on);
    keepFocus(place);
  });
}

// the bullshitbingo card on the projector; the box follows the live state, so a second board stays right too
const bingoToggle = document.getElementById("bingo-toggle");
bingoToggle.addEventListener("change", async () => {
  bingoToggle.disabled = true;
  const result = await post(`/f/workshops/${config.id}/bingo`, { on: String(bingoToggle.checked) });
  bingoToggle.disabled = false;
  if (document.activeElement === document.body) bingoToggle.focus(); // a box switched off while busy lost the focus
  if (result) bingoToggle.checked = result.on;
  else bingoToggle.checked = !bingoToggle.checked;
});

const live = new Live(`/ws/board/${config.id}`, {
  workshop: config.workshop,
  onFrame,
  onStatus: (status) => (status === "removed"
    ? showRemoved(t.removed, { href: "/f/workshops", text: t.removed_onward })
    : showStatus(statusNode, status, t)),
});
live.start();
