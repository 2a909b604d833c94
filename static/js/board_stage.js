// The board's stage controls: the countdown, the spotlight, the projector's word cloud and the approval queue.
import { about } from "./board_keyboard.js";
import { el, format, pick, readConfig } from "./live.js";
import { Countdown } from "./stage.js";

export function createStage({ state, config, post }) {
  const t = readConfig("stage-config").messages;
  const base = `/f/workshops/${config.id}`;
  const node = (id) => document.getElementById(id);
  const countdown = new Countdown(node("board-timer"));
  const minutes = node("timer-minutes");

  function currentStep() {
    return state.workshop.steps[state.workshop.step_index];
  }

  // "2,5" in Dutch, "2.5" in English
  function minutesText(seconds) {
    return String(Math.round((seconds / 60) * 10) / 10).replace(".", config.lang === "en" ? "." : ",");
  }

  // the countdown's changes said aloud: T works from anywhere on the board, and the clock itself is not a live
  // region (a second by second reading would drown the room's other news); nothing on arrival
  let timerHeard = null;
  function announceTimer(timer) {
    const before = timerHeard;
    const now = { state: timer.state, total: timer.total_ms || 0, ends: timer.ends_at || 0 };
    timerHeard = now;
    if (!before || (before.state === now.state && before.total === now.total && before.ends === now.ends)) return;
    let text;
    if (now.state === "stopped") text = t.timer_stopped;
    else if (now.state === "paused" && before.state === "running") text = t.timer_paused;
    else if (now.state === "running" && before.state === "paused") text = t.timer_resumed;
    else if (now.state === before.state && now.total === before.total + 60_000) text = t.timer_added;
    else if (now.state === "running") text = format(t.timer_started, { minutes: minutesText(now.total / 1000) });
    else return;
    node("timer-now").textContent = text;
  }

  function timer(action) {
    const fields = { action };
    if (action === "start" && minutes.value.trim()) fields.minutes = minutes.value.trim();
    return post(`${base}/timer`, fields);
  }

  // T: start when stopped, pause when running, resume when paused
  function toggleTimer() {
    const next = { stopped: "start", running: "pause", paused: "resume" }[state.timer.state] || "start";
    return timer(next);
  }

  node("timer-form").addEventListener("submit", (event) => {
    event.preventDefault();
    if (event.submitter) timer(event.submitter.value);
  });

  function spotlight(answerId) {
    return post(`${base}/spotlight`, answerId ? { answer_id: String(answerId) } : {});
  }

  function toggleSpotlight(answerId) {
    return spotlight(state.stage.spotlight === answerId ? null : answerId);
  }

  function toggleView() {
    return post(`${base}/projector-view`, { view: state.stage.view === "cloud" ? "wall" : "cloud" });
  }

  // the projector's pages hold on the one the room talks about, from the board (the projector's own space bar is
  // often out of the facilitator's reach); a new step lets them turn again (app/stage/service.py reset_for_step)
  function togglePages() {
    return post(`${base}/projector-pause`, { paused: String(!state.stage.paused) });
  }

  let pagesHeard = null;
  function announcePages(paused) {
    if (pagesHeard !== null && pagesHeard !== paused) node("pages-now").textContent = paused ? t.pages_paused : t.pages_resumed;
    pagesHeard = paused;
  }

  node("view-toggle").addEventListener("click", toggleView);
  node("pages-pause").addEventListener("click", togglePages);
  node("spotlight-off").addEventListener("click", () => spotlight(null));

  const moderated = node("moderated-toggle");
  moderated.addEventListener("change", async () => {
    moderated.disabled = true;
    const result = await post(`${base}/moderated`, { on: String(moderated.checked) });
    moderated.disabled = false;
    if (document.activeElement === document.body) moderated.focus(); // switched off while busy, it lost the focus
    moderated.checked = result ? result.moderated : !moderated.checked;
  });

  function waiting() {
    return [...state.answers.values()].filter((answer) => answer.held).sort((a, b) => a.id - b.id);
  }

  node("approve-all").addEventListener("click", () => post(`${base}/answers/approve-all`, {}));

  function approve(answer) {
    return post(`${base}/answers/${answer.id}/approve`, {});
  }

  function queueRow(answer) {
    const yes = el("button", { class: "button primary", type: "button", text: t.approve, "aria-label": about(t.approve, answer.text) });
    yes.addEventListener("click", () => approve(answer));
    const no = el("button", { class: "button", type: "button", text: t.reject, "aria-label": about(t.reject, answer.text) });
    no.addEventListener("click", () => post(`${base}/answers/${answer.id}/hidden`, { hidden: "true" }));
    const step = state.workshop.steps.find((s) => s.id === answer.step);
    return el("li", { class: "board-answer", "data-id": answer.id },
      el("p", { class: "text", text: answer.text }),
      el("p", { class: "meta muted", text: [answer.author || t.anonymous, answer.organisation, step ? pick(step.title, config.lang) : ""]
        .filter(Boolean).join(" · ") }),
      el("div", { class: "answer-buttons" }, yes, no));
  }

  // the button on each visible answer of the board's list: its name says what pressing it does now (no pressed
  // state beside it: "Uitlichten stoppen, pressed" would leave a listener guessing)
  function spotlightButton(answer) {
    const verb = state.stage.spotlight === answer.id ? t.spotlight_stop : t.spotlight;
    const button = el("button", { class: "link", type: "button", text: verb, "aria-label": about(verb, answer.text) });
    button.addEventListener("click", () => toggleSpotlight(answer.id));
    return button;
  }

  function render() {
    const step = currentStep();
    countdown.set(state.timer, state.clockOffset);
    announceTimer(state.timer);
    const running = state.timer.state;
    node("timer-pause").hidden = running !== "running";
    node("timer-resume").hidden = running !== "paused";
    node("timer-add").disabled = running === "stopped";
    node("timer-stop").disabled = running === "stopped";
    node("timer-default").textContent = step.timer ? format(t.timer_default, { minutes: minutesText(step.timer) }) : t.timer_no_default;
    const open = step.type === "open_text" && !state.workshop.closed;
    const view = node("view-toggle");
    view.disabled = !open;
    // what pressing it shows; it ends a spotlight too (app/stage/service.py set_view), so the name holds then as well
    view.textContent = state.stage.view === "cloud" ? t.to_wall : t.to_cloud;
    const pages = node("pages-pause");
    const paused = Boolean(state.stage.paused);
    pages.disabled = state.workshop.closed || step.type === "lobby" || step.type === "close";
    pages.textContent = paused ? t.pages_resume : t.pages_pause;
    announcePages(paused);
    const spotlit = state.stage.spotlight ? state.answers.get(state.stage.spotlight) : null;
    node("spotlight-off").hidden = !spotlit;
    node("spotlight-now").textContent = spotlit ? format(t.spotlit, { text: spotlit.text }) : t.no_spotlight;
    if (!moderated.disabled) moderated.checked = Boolean(state.workshop.moderated);
    const queue = waiting();
    node("queue").hidden = queue.length === 0;
    node("queue-count").textContent = `(${queue.length})`;
    node("queue-list").replaceChildren(...queue.map(queueRow));
  }

  // the board's keys besides the steps (board.js) and the grouping panel (board_panels.js)
  function onKey(event) {
    const key = event.key;
    if (key === "t" || key === "T") toggleTimer();
    else if (key === "+" || key === "=") {
      if (state.timer.state !== "stopped") timer("add");
    } else if (key === "0") {
      if (state.timer.state !== "stopped") timer("stop");
    } else if (key === "w" || key === "W") {
      if (!node("view-toggle").disabled) toggleView();
    } else if (key === "p" || key === "P") {
      if (node("pages-pause").disabled) return false;
      togglePages();
    } else if (key === "s" || key === "S") {
      const row = document.activeElement && document.activeElement.closest(".board-answer[data-id]");
      const answer = row ? state.answers.get(Number(row.dataset.id)) : null;
      if (!answer || answer.hidden) return false;
      toggleSpotlight(answer.id);
    } else if (key === "Escape") {
      if (!state.stage.spotlight) return false;
      spotlight(null);
    } else if (key === "a" || key === "A") {
      const first = waiting()[0];
      if (!first) return false;
      approve(first);
    } else {
      return false;
    }
    event.preventDefault();
    return true;
  }

  return { render, onKey, spotlightButton };
}
