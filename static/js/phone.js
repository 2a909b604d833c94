// The participant's phone: answers are kept on the phone until the server says they are stored.
import {
  Live, el, format, formatNodes, longMoment, newId, pick, readConfig, resendLater, showRemoved, showStatus,
} from "./live.js";
import { jargonHint } from "./jargon.js";
import { createActionList, leftMine } from "./phone_actions.js";
import { createStepViews } from "./phone_steps.js";
import { forgetOldWorkshops, workshopStore } from "./phone_store.js";
import { renamer, saveById } from "./room.js";
import { Countdown } from "./stage.js";

const config = readConfig("phone-config");
// the texts are the same for every phone of a language: the server renders them once (web.per_language)
const texts = readConfig("phone-texts");
const t = texts.messages;
// what this phone keeps of this workshop; what it kept of workshops long past goes now
forgetOldWorkshops(config.code);
const store = workshopStore(config.code);
const drafts = store.drafts((taken) => dropTaken(taken));
// dots a tab opened since took over are that tab's to send (phone_store.js); back here when it closed unsent
const votes = store.pending("votes", () => {
  if (state.wanted && !live.isOpen()) notice(t.taken_over);
  state.wanted = null;
  renderVotes();
}, (wanted) => {
  state.wanted = wanted;
  withdraw(t.taken_over);
  renderVotes();
  sendVotes();
});
const state = {
  workshop: null, answers: [], options: [], outbox: loadOutbox(), clusters: [], myVotes: {}, actions: [],
  participant: null, link: null, wanted: loadWanted(), me: null, responses: {}, review: { workshop: null, items: [] },
  mosaic: null, drafts: loadDrafts(),
};
const stepNode = document.getElementById("step");
const mineNode = document.getElementById("my-answers");
const statusNode = document.getElementById("status");
const offlineNode = document.getElementById("offline-note");
// who this is ("Ali · Woonstichting"), as the server wrote it above the step
const meNode = document.querySelector("p.me");

// this tab's answers and those another tab (open, or closed before it could send them) kept
function loadOutbox() {
  return store.answers();
}

// what another tab of this workshop kept since this one loaded: sent from here too, for the other may be closed
function adoptOutbox() {
  const known = new Set(state.outbox.map((item) => item.client_id));
  state.outbox.push(...loadOutbox().filter((item) => !known.has(item.client_id)));
}

// what is typed but not yet sent, per question: a step that moves on (or a reload) does not take it away
function loadDrafts() {
  return drafts.drafts;
}

function saveDrafts() {
  drafts.save(state.drafts);
}

// the open tab this text was taken from changed it: the copy goes, from the box too if untouched here
function dropTaken({ step, text }) {
  if (state.drafts[step]?.text !== text) return;
  delete state.drafts[step];
  saveDrafts();
  const box = stepNode.querySelector(`form[data-step="${CSS.escape(step)}"] textarea`);
  if (box && box.value === text) {
    box.value = "";
    box.dispatchEvent(new Event("input"));
  }
  renderMine();
}

function loadWanted() {
  return votes.value;
}

function saveWanted() {
  votes.save(state.wanted);
}

// a message the step's own view cannot show (the step it was about has gone): it stays until read
const noticeNode = el("div", { class: "alert phone-notice", role: "alert", hidden: true },
  el("p", { "data-slot": "text" }));
const noticeClose = el("button", { type: "button", class: "link", text: t.notice_close });
noticeClose.addEventListener("click", () => { noticeNode.hidden = true; });
noticeNode.append(noticeClose);
stepNode.before(noticeNode);

function notice(text) {
  noticeNode.querySelector('[data-slot="text"]').textContent = text;
  noticeNode.hidden = !text;
}

// a notice no longer true (the other tab closed and this one sends again): it goes, if it is still the one shown
function withdraw(text) {
  if (noticeNode.querySelector('[data-slot="text"]').textContent === text) notice("");
}

const stepViews = createStepViews({
  state, t, results: texts.results, lang: config.lang, store, send: (message) => live.send(message), notice, withdraw,
  isOnline: () => live.isOpen(),
});
stepViews.setRender((said) => renderStep(said));
const actionList = createActionList({
  state, t, lang: config.lang, store, send: (message) => live.send(message), notice, withdraw,
  isOnline: () => live.isOpen(),
});

function currentStep() {
  const w = state.workshop;
  return w ? w.steps[w.step_index] : null;
}

function fill(fragment, slot, text) {
  const node = fragment.querySelector(`[data-slot="${slot}"]`);
  if (node) node.textContent = text;
  return node;
}

function closeView() {
  const fragment = document.getElementById("tpl-close").content.cloneNode(true);
  fragment.querySelector('[data-slot="followup"]').replaceWith(followupNode());
  const mine = fragment.querySelector('[data-slot="mine"]');
  if (state.link) mine.href = state.link;
  else mine.remove();
  return fragment;
}

function voteView(step) {
  const fragment = document.getElementById("tpl-vote").content.cloneNode(true);
  fill(fragment, "title", pick(step.title, config.lang));
  fill(fragment, "prompt", pick(step.prompt, config.lang));
  fill(fragment, "help", pick(step.help, config.lang));
  return fragment;
}

function actionsView(step) {
  const fragment = document.getElementById("tpl-actions").content.cloneNode(true);
  fill(fragment, "title", pick(step.title, config.lang));
  fill(fragment, "help", pick(step.help, config.lang));
  const mine = fragment.querySelector('[data-slot="mine"]');
  if (state.link) mine.href = state.link;
  else mine.remove();
  actionList.bind(fragment);
  return fragment;
}

function waitView(step) {
  const fragment = document.getElementById("tpl-wait").content.cloneNode(true);
  fill(fragment, "title", pick(step.title, config.lang));
  fill(fragment, "help", pick(step.help, config.lang));
  return fragment;
}

function openTextView(step, draft) {
  const fragment = document.getElementById("tpl-open-text").content.cloneNode(true);
  buildAnswerForm(fragment, step, draft);
  return fragment;
}

function lobbyView() {
  const fragment = document.getElementById("tpl-lobby").content.cloneNode(true);
  fill(fragment, "title", state.workshop.title);
  fill(fragment, "opgave", state.workshop.opgave);
  return fragment;
}

// the phone's view of each step type; the keys are app/steps.py's (tests/catalog/test_client_tables.py)
const VIEWS = {
  lobby: lobbyView,
  open_text: openTextView,
  cluster: waitView,
  dot_vote: voteView,
  grade: stepViews.grade,
  choice: stepViews.choice,
  mosaic: stepViews.mosaic,
  actions: actionsView,
  action_review: stepViews.review,
  close: closeView,
};

function openStepId() {
  const step = currentStep();
  return step && !state.workshop.closed && step.type === "open_text" ? step.id : null;
}

let shownQuestion = null; // the open question last drawn, to notice the room moving on from it

// fields typed in; a search box, an answer, an owner's note on an earlier action
const TYPING = "textarea, input[type=search], input[type=text]";
// what a tap or the keyboard acts on in a step, and the items of a step's lists (an action, a look-back item, a pile)
const CONTROLS = "button, input, textarea, select, a[href], summary";
const ITEMS = ["data-action", "data-pile"];

// where the phone's focus is, in terms that survive the step being drawn again: the control's place (in its item, else
// in the step) and a typed field's caret
function focusPlace() {
  const node = document.activeElement;
  if (!node || !stepNode.contains(node) || !node.matches(CONTROLS)) return null;
  const item = node.closest(ITEMS.map((name) => `[${name}]`).join(", "));
  const name = item && ITEMS.find((attribute) => item.hasAttribute(attribute));
  return {
    step: stepNode.dataset.step, item: item ? { name, value: item.getAttribute(name) } : null,
    index: [...(item || stepNode).querySelectorAll(CONTROLS)].indexOf(node),
    typing: node.matches(TYPING), start: node.selectionStart, end: node.selectionEnd, direction: node.selectionDirection,
  };
}

// the room's updates and the phone's own presses redraw the step (a grade, a dot, the follow-up, a reconnect): the
// focus stays on the control it was on (a screen reader or keyboard does not start again from the top of the page),
// a phone's keyboard stays open and the caret where it was
function keepFocus(place) {
  if (!place || place.step !== stepNode.dataset.step) return;
  const within = place.item ? stepNode.querySelector(`[${place.item.name}="${CSS.escape(place.item.value)}"]`) : stepNode;
  const controls = within ? [...within.querySelectorAll(CONTROLS)] : [];
  // the same control, or the nearest one that can take the focus (a pile's "+" once the dots are used up)
  const near = (i) => Math.abs(i - place.index) * 2 + (i < place.index ? 1 : 0);
  const node = controls.map((control, i) => [near(i), control]).filter(([, control]) => !control.disabled)
    .sort(([a], [b]) => a - b)[0]?.[1];
  if (!node || document.activeElement === node) return;
  node.focus({ preventScroll: true });
  if (place.typing && node.matches(TYPING)) node.setSelectionRange(place.start, place.end, place.direction);
}

// the step last drawn: the step's region (aria-live) reads a step out when the room moves to it or the phone's own
// press changed it (said), not each time the room's updates draw it again (another owner's report, a setting, a
// reconnect), which in a busy room would repeat it to a listener without end
let drawnView = null;

function renderStep(said = false) {
  const step = currentStep();
  if (!step) return;
  const focus = focusPlace();
  // a closed workshop shows its end whatever step it stopped at
  const view = state.workshop.closed ? VIEWS.close : VIEWS[step.type] || VIEWS.lobby;
  const shown = state.workshop.closed ? "closed" : step.id;
  stepNode.setAttribute("aria-live", said || shown !== drawnView ? "polite" : "off");
  drawnView = shown;
  stepNode.replaceChildren(view(step, state.drafts[step.id] || null));
  stepNode.dataset.step = step.id;
  // the room moved on while something was typed and not sent: say where it is kept
  const question = openStepId();
  if (shownQuestion && shownQuestion !== question && state.drafts[shownQuestion]) notice(t.draft_kept);
  shownQuestion = question;
  renderVotes();
  renderActions();
  renderMine();
  keepFocus(focus);
}

// who this is, in the header: as the server wrote it (workshops.me_parts), again when the room renamed the
// organisation or the office took the participant's claim to it back (or gave it back)
function renderMe() {
  const me = state.me;
  if (!me?.name) return; // nameless: "Anoniem" as the server wrote it, with no organisation to mark
  const parts = [[el("bdi", { text: me.name })]];
  const line = [`\u2068${me.name}\u2069`];
  if (me.organisation) {
    const organisation = el("bdi", { text: me.organisation });
    // the office said it is not theirs: still shown as typed, never as theirs without saying so
    parts.push(me.organisation_taken_back
      ? formatNodes(t.organisation_unconfirmed, "organisation", [organisation]) : [organisation]);
    const named = `\u2068${me.organisation}\u2069`;
    line.push(me.organisation_taken_back ? format(t.organisation_unconfirmed, { organisation: named }) : named);
  }
  meNode.replaceChildren(...parts.flatMap((part, i) => (i ? [" · ", ...part] : part)));
  meNode.title = line.join(" · ");
}

// ---- dot voting: the phone sends its whole allocation, so a resend after a lost connection changes nothing

function allocation() {
  return state.wanted || state.myVotes;
}

function renderVotes() {
  const list = stepNode.querySelector('.vote-list[data-slot="list"]');
  if (!list) return;
  const focus = focusPlace();
  const mine = allocation();
  const max = state.workshop.dots;
  const used = Object.values(mine).reduce((a, b) => a + b, 0);
  const left = stepNode.querySelector('[data-slot="left"]');
  const text = format(t.dots_left, { n: max - used, max });
  if (left.textContent !== text) left.textContent = text; // read out as it changes: only when it does
  list.replaceChildren(...state.clusters.map((cluster) => {
    const n = mine[cluster.id] || 0;
    const minus = el("button", { type: "button", class: "dot-button", "aria-label": `${t.remove_dot}: ${cluster.name}`, text: "−" });
    const plus = el("button", { type: "button", class: "dot-button", "aria-label": `${t.add_dot}: ${cluster.name}`, text: "+" });
    minus.disabled = n === 0;
    plus.disabled = used >= max;
    minus.addEventListener("click", () => changeDots(cluster.id, -1));
    plus.addEventListener("click", () => changeDots(cluster.id, 1));
    return el("li", { class: `vote-item${n ? " chosen" : ""}`, "data-pile": String(cluster.id) },
      el("div", { class: "vote-text" }, el("strong", { dir: "auto", text: cluster.name }), ...pileItems(cluster)),
      el("div", { class: "vote-controls" }, minus,
        el("span", { class: "dots", "aria-label": String(n), text: "●".repeat(n) || "○" }), plus));
  }));
  keepFocus(focus);
}

// a pile shows its first few obstacles, the rest behind "+n meer": a room of 150 obstacles made a vote page of
// 10,000 px on a phone; which piles were opened survives the redraw after every dot
const PILE_SHOWN = 3;
const openPiles = new Set();

function pileItems(cluster) {
  if (cluster.items.length < 2) return [];
  const list = (texts) => el("ul", { class: "muted small" }, ...texts.map((text) => el("li", { dir: "auto", text })));
  const shown = [list(cluster.items.slice(0, PILE_SHOWN))];
  const rest = cluster.items.slice(PILE_SHOWN);
  if (!rest.length) return shown;
  const more = el("details", { class: "pile-more" }, el("summary", { class: "muted small", text: format(t.more, { n: rest.length }) }), list(rest));
  more.open = openPiles.has(cluster.id);
  more.addEventListener("toggle", () => (more.open ? openPiles.add(cluster.id) : openPiles.delete(cluster.id)));
  return [...shown, more];
}

function changeDots(clusterId, delta) {
  const next = { ...allocation() };
  next[clusterId] = Math.max(0, (next[clusterId] || 0) + delta);
  if (!next[clusterId]) delete next[clusterId];
  state.wanted = next;
  saveWanted();
  renderVotes();
  sendVotes();
}

function sendVotes() {
  votes.taken();
  if (state.wanted) live.send({ type: "votes", allocation: state.wanted });
}

function sameVotes(a, b) {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].every((key) => (a[key] || 0) === (b[key] || 0));
}

// ---- agreed actions and raised hands

function followupNode() {
  const followup = state.workshop.followup;
  if (!followup) return el("div");
  const when = longMoment(followup.at, config.lang);
  const text = format(t.followup, { when: followup.place ? format(t.at_place, { when, place: followup.place }) : when });
  const box = el("div", { class: "followup" }, el("p", { text }));
  if (state.link) box.append(el("a", { class: "button", href: `${state.link}/vervolg.ics`, text: t.calendar }));
  return box;
}

function renderActions() {
  if (!stepNode.querySelector('[data-slot="actions"]')) return;
  const followup = stepNode.querySelector('[data-slot="followup"]');
  if (followup) followup.replaceChildren(followupNode());
  // a raised hand: a reminder by mail is one step away, on Mijn afspraken
  const remind = stepNode.querySelector('[data-slot="remind"]');
  if (remind) {
    remind.hidden = !(actionList.joinedAny() && state.link);
    if (state.link) remind.querySelector('[data-slot="remind-link"]').href = `${state.link}#e-mail`;
  }
  actionList.render();
}

function showStepError(message) {
  const error = stepNode.querySelector('[data-slot="error"]');
  if (error) {
    error.hidden = false;
    error.textContent = message;
  }
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
  const max = step.max_length;
  if (step.links_to) {
    for (const option of state.options) select.append(el("option", { value: option.id, text: option.text }));
    if (draft && draft.link) select.value = draft.link;
  } else {
    fragment.querySelector('[data-slot="link-label"]').remove();
  }
  if (draft) textarea.value = draft.text;
  const keepDraft = () => {
    const text = textarea.value;
    if (text.trim()) {
      state.drafts[step.id] = {
        text, link: select?.value || null, theme: form.querySelector('input[name="theme"]:checked')?.value || null,
        at: Date.now(),
      };
    } else {
      delete state.drafts[step.id];
    }
    saveDrafts();
  };
  if (step.themes) {
    fragment.querySelector('[data-slot="themes"]').hidden = false;
    const choices = [["", t.no_theme], ...Object.entries(texts.results.themes)].map(([value, label]) => {
      const input = el("input", { type: "radio", name: "theme", value });
      input.checked = (draft?.theme || "") === value;
      return el("label", { class: "chip-option" }, input, el("span", { text: label }));
    });
    fragment.querySelector('[data-slot="theme-options"]').replaceChildren(...choices);
  }
  const updateCounter = () => {
    const n = textarea.value.trim().length;
    counter.textContent = format(t.counter, { n, max });
    counter.classList.toggle("over", n > max);
  };
  textarea.addEventListener("input", updateCounter);
  textarea.addEventListener("input", keepDraft);
  form.addEventListener("change", keepDraft);
  updateCounter();
  const showJargon = jargonHint(fragment.querySelector('[data-slot="jargon"]'), config.jargon || {});
  textarea.addEventListener("input", () => showJargon(textarea.value));
  showJargon(textarea.value);
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
    theme: form.querySelector('input[name="theme"]:checked')?.value || null, at: Date.now(),
  };
  state.outbox.push(item);
  store.keepAnswer(item);
  delete state.drafts[step.id];
  saveDrafts();
  textarea.value = "";
  textarea.dispatchEvent(new Event("input"));
  renderMine();
  send(item);
  textarea.focus();
}

function send(item) {
  live.send({
    type: "answer", client_id: item.client_id, step: item.step, text: item.text, links_to: item.links_to, theme: item.theme,
  });
}

function flush() {
  adoptOutbox();
  for (const item of state.outbox) if (item.state === "pending") send(item);
}
const flushLater = resendLater(flush);

function optionText(id) {
  const found = state.options.find((option) => option.id === id);
  return found ? found.text : null;
}

// dir=auto: an answer in Arabic or Hebrew reads from the right. The obstacle it belongs to is two lines at most,
// whole in its title and when tapped (focused), and to a screen reader always. Its line takes the obstacle's
// direction (dir=auto passes over the <bdi> words around it), so a cut Arabic obstacle ends in "…" on its left
function answerItem(text, linksTo, status, label) {
  const link = linksTo ? optionText(linksTo) : null;
  const to = link && format(t.contribution_to, { text: `\u2068${link}\u2069` });
  const words = (part) => (part ? el("bdi", { text: part }) : null);
  const [before, , after] = link ? formatNodes(t.contribution_to, "text", [link]) : [];
  return el("li", { class: `answer ${status}` },
    el("span", { class: "text", dir: "auto", text }),
    to ? el("span", { class: "link muted clamp-2", dir: "auto", title: to }, words(before), link, words(after)) : null,
    el("span", { class: "tick", text: label }));
}

// a line cut off at two lines is a tab stop, as focus shows it whole; one that fits is not: a keyboard went past a
// stop for every contribution, each showing nothing more
function focusClamped() {
  for (const line of mineNode.querySelectorAll(".link.clamp-2")) {
    if (line === document.activeElement) continue; // shown whole, so not measurable as cut off
    if (line.scrollHeight > line.clientHeight + 1) line.tabIndex = 0;
    else line.removeAttribute("tabindex");
  }
}
window.addEventListener("resize", focusClamped);

function renderMine() {
  const items = [];
  // typed for a question that closed before "Versturen": not sent, not lost
  for (const [stepId, draft] of Object.entries(state.drafts)) {
    if (stepId === openStepId() || !state.workshop) continue;
    const li = answerItem(draft.text, null, "failed unsent", `✎ ${t.draft_unsent}`);
    const dismiss = el("button", { class: "link", type: "button", text: t.dismiss });
    dismiss.addEventListener("click", () => {
      delete state.drafts[stepId];
      saveDrafts();
      renderMine();
    });
    li.append(dismiss);
    items.push(li);
  }
  for (const item of state.outbox) {
    if (item.state === "failed") {
      const li = answerItem(item.text, item.links_to, "failed", `⚠ ${t.failed}: ${item.error}`);
      const dismiss = el("button", { class: "link", type: "button", text: t.dismiss });
      dismiss.addEventListener("click", () => {
        state.outbox = state.outbox.filter((other) => other !== item);
        store.dropAnswer(item.client_id);
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
  focusClamped();
}

function acknowledge(frame) {
  const item = state.outbox.find((entry) => entry.client_id === frame.client_id);
  state.outbox = state.outbox.filter((entry) => entry.client_id !== frame.client_id);
  store.dropAnswer(frame.client_id);
  if (item && !state.answers.some((answer) => answer.id === frame.answer_id)) {
    state.answers.push({ id: frame.answer_id, text: item.text, links_to: item.links_to, client_id: item.client_id });
  }
  renderMine();
}

const refreshLater = resendLater(() => live.send({ type: "refresh" }));
const handsLater = resendLater(() => actionList.resend());
const votesLater = resendLater(() => sendVotes());

function refuse(frame) {
  if (frame.request === "refresh") {
    // asked too often (the room changed many times at once): the snapshot comes a moment later, unasked for
    refreshLater(frame.retry_after);
    return;
  }
  if (frame.request === "votes") {
    if (frame.code === "rate_limited") {
      votesLater(1);
      return;
    }
    state.wanted = null; // back to what the server has
    saveWanted();
    renderVotes();
    // dots refused after the vote closed: the vote's own view is gone, so the notice says it
    if (currentStep()?.type !== "dot_vote" || state.workshop.closed) {
      notice(format(t.votes_refused, { message: frame.message }));
      return;
    }
  }
  if (frame.request === "volunteer") {
    if (frame.code === "rate_limited") handsLater(frame.retry_after);
    else actionList.refused(frame);
    return;
  }
  const item = state.outbox.find((entry) => entry.client_id === frame.client_id);
  if (!item) {
    showStepError(frame.message);
    return;
  }
  if (frame.code === "rate_limited") {
    flushLater(frame.retry_after);
    return;
  }
  item.state = "failed";
  item.error = frame.message;
  store.keepAnswer(item);
  renderMine();
}

// the room closed, or opened again (the facilitator stepped back from the close). What was typed and not sent was
// shown at the close as not sent, and the phone kept none of it (phone_store.js): a session opened again starts
// without it, as a reload would, rather than showing it again and writing it back at the next key pressed
function setClosed(wasClosed, closed) {
  store.setClosed(closed);
  if (wasClosed && !closed) {
    state.drafts = {};
    saveDrafts();
  }
}

// the countdown in the header follows the snapshot, the replay's clock and the timer's events by itself
const phoneTimer = new Countdown(document.getElementById("phone-timer"));

function onFrame(frame) {
  phoneTimer.onFrame(frame);
  if (stepViews.onFrame(frame)) return;
  if (frame.type === "snapshot") {
    const wasClosed = state.workshop?.closed;
    state.workshop = frame.workshop;
    state.answers = frame.answers;
    state.options = frame.options || [];
    state.clusters = frame.clusters || [];
    state.myVotes = frame.my_votes || {};
    state.actions = frame.actions || [];
    state.participant = frame.participant;
    state.link = frame.link;
    state.me = frame.me;
    renderMe();
    state.responses = frame.responses || {};
    state.review = frame.review || { workshop: null, items: [] };
    state.mosaic = frame.mosaic || null;
    if (state.wanted && sameVotes(state.wanted, state.myVotes)) state.wanted = null;
    saveWanted();
    // an answer stored before the connection dropped is acknowledged again when resent; drop it from the outbox now
    const stored = new Set(state.answers.map((answer) => answer.client_id));
    for (const item of state.outbox) if (stored.has(item.client_id)) store.dropAnswer(item.client_id);
    state.outbox = state.outbox.filter((item) => !stored.has(item.client_id));
    setClosed(wasClosed, state.workshop.closed);
    renderStep();
    renderMine();
  } else if (frame.type === "event" && frame.kind === "step.changed") {
    const wasClosed = state.workshop.closed;
    state.workshop.step_index = frame.data.step_index;
    state.workshop.closed = frame.data.closed;
    setClosed(wasClosed, frame.data.closed);
    if (frame.data.mosaic) state.mosaic = frame.data.mosaic;
    const step = currentStep();
    // these steps need fresh lists from the server: what to link to, what to vote on
    if ((step.links_to || step.type === "dot_vote") && !frame.data.closed) live.send({ type: "refresh" });
    renderStep();
  } else if (frame.type === "event" && frame.kind === "clusters.changed") {
    if (currentStep()?.type === "dot_vote") live.send({ type: "refresh" });
  } else if (frame.type === "event" && frame.kind === "action.saved") {
    if (leftMine(state.me, state.actions.find((a) => a.id === frame.data.id), frame.data)) live.send({ type: "refresh" });
    saveById(state.actions, frame.data);
    renderActions();
  } else if (frame.type === "event" && frame.kind === "organisation.renamed") {
    const rename = renamer(frame.data.renamed);
    state.actions = state.actions.map(rename.action);
    state.review.items = state.review.items.map(rename.action);
    if (state.me?.organisation) {
      // the participant went along with a merged organisation: its actions stay "yours"
      state.me.organisation = rename.name(state.me.organisation);
      state.me.organisation_id = rename.id(state.me.organisation_id);
      renderMe();
    }
    renderStep();
  } else if (frame.type === "event" && frame.kind === "me.changed") {
    // the office took back (or gave back) the organisation this participant named: what the phone marks as its own
    // follows at once, as the server's rule on reports does
    if (state.me && frame.data.participant === state.participant) {
      state.me.organisation_taken_back = frame.data.organisation_taken_back;
      renderMe();
      actionList.regroup();
      renderStep();
    }
  } else if (frame.type === "event" && frame.kind === "action.deleted") {
    state.actions = state.actions.filter((a) => a.id !== frame.data.id);
    renderActions();
  } else if (frame.type === "event" && frame.kind === "followup.set") {
    state.workshop.followup = frame.data.followup;
    renderStep(true); // news for the whole room, once
  } else if (frame.type === "event" && frame.kind === "workshop.changed") {
    Object.assign(state.workshop, frame.data);
    // limiting the round to the focus changes which obstacles a contribution can name
    if (currentStep()?.links_to) live.send({ type: "refresh" });
    // the steps may have been reworded before the start: repaint the step, keeping what is being typed
    renderStep();
  } else if (frame.type === "votes_ack") {
    state.myVotes = Object.fromEntries(Object.entries(frame.allocation).map(([k, v]) => [k, v]));
    if (state.wanted && sameVotes(state.wanted, state.myVotes)) state.wanted = null;
    saveWanted();
    renderVotes();
  } else if (frame.type === "volunteer_ack") {
    actionList.acknowledged(frame);
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
    // the page is emptied first: a box typed in keeps its text as it goes (its change event), which is then
    // forgotten with the rest rather than written back after it
    if (status === "removed") {
      showRemoved(t.removed);
      store.forgetAll();
      return;
    }
    if (status === "participant_removed") {
      // what this phone kept was its participant's, who is gone: it goes too. Joining again is offered while the
      // room is still open (the join page says so itself once it closed, if the phone never saw it)
      showRemoved(t.participant_removed,
        state.workshop?.closed ? null : { href: `/j/${encodeURIComponent(config.code)}`, text: t.join_again, class: "button primary" });
      store.forgetAll();
      return;
    }
    showStatus(statusNode, status, t);
    // kept through the tries to reconnect, not read out again at each
    const note = { offline: t.offline_note, online: "" }[status] ?? offlineNode.textContent;
    if (offlineNode.textContent !== note) offlineNode.textContent = note;
    if (status === "online") {
      flush();
      sendVotes();
      stepViews.resend();
      actionList.resend();
    }
    renderMine();
    actionList.render();
  },
});
live.start();
