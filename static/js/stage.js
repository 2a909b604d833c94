// The stage besides the wall: the countdown (projector, phones, board), the spotlight and the word cloud (projector).
import { el, format, pick } from "./live.js";

// what is left of a countdown by the server's clock (offset: server time minus this device's), or null when stopped
export function remainingMs(timer, offset) {
  if (!timer || timer.state === "stopped") return null;
  if (timer.state === "paused") return timer.left_ms;
  // never more than the whole: a clock offset a few milliseconds off must not show "3:01" at the start
  return Math.min(timer.total_ms, Math.max(0, timer.ends_at - (Date.now() + offset)));
}

export function clockText(ms) {
  // counts up to the next whole second, so "0:00" shows only once the time is really up
  const seconds = Math.ceil(ms / 1000);
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = String(seconds % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}

// A countdown shown in one node, ticking by itself between frames. The node carries its texts as data-up
// (time is up) and data-paused, and gets data-state running, paused or up.
export class Countdown {
  constructor(node) {
    this.node = node;
    this.timer = { state: "stopped" };
    this.offset = 0;
    this.ticker = null;
  }

  // the phone's frames: it keeps no room state, so the countdown follows them itself
  onFrame(frame) {
    if (frame.type === "snapshot" || frame.type === "synced") {
      if (frame.now) this.offset = frame.now - Date.now();
      if (frame.timer) this.timer = frame.timer;
    } else if (frame.type === "event" && frame.kind === "timer.changed") {
      this.timer = frame.data;
    } else if (frame.type === "event" && frame.kind === "step.changed" && frame.data.timer) {
      this.timer = frame.data.timer;
    } else {
      return;
    }
    this.show();
  }

  set(timer, offset) {
    this.timer = timer || { state: "stopped" };
    this.offset = offset || 0;
    this.show();
  }

  show() {
    const left = remainingMs(this.timer, this.offset);
    if (left === null) {
      this.node.hidden = true;
      clearInterval(this.ticker);
      this.ticker = null;
      return;
    }
    this.node.hidden = false;
    const up = left <= 0;
    const state = up ? "up" : this.timer.state;
    this.node.dataset.state = state;
    const text = this.node.querySelector("[data-slot=time]") || this.node;
    text.textContent = up ? this.node.dataset.up : clockText(left);
    const label = this.node.querySelector("[data-slot=label]");
    if (label) label.textContent = state === "paused" ? this.node.dataset.paused : "";
    // tick only while it runs: a paused or finished countdown has nothing to update
    if (state === "running" && !this.ticker) this.ticker = setInterval(() => this.show(), 250);
    if (state !== "running" && this.ticker) {
      clearInterval(this.ticker);
      this.ticker = null;
    }
  }
}

let projectorCountdown = null;
const cloud = { key: "", fetched: 0, timer: null, words: [] };
const CLOUD_EVERY_MS = 2000;

// The projector's overlays; called from projector.js's render() after every batch of frames.
export function renderStage(state, config) {
  const timerNode = document.getElementById("stage-timer");
  projectorCountdown = projectorCountdown || new Countdown(timerNode);
  projectorCountdown.set(state.timer, state.clockOffset);
  const step = state.workshop.steps[state.workshop.step_index];
  const open = !state.workshop.closed && step.type === "open_text";
  renderSpotlight(state, open);
  renderCloud(state, config, open && state.stage.view === "cloud" && !state.stage.spotlight ? step : null);
}

function renderSpotlight(state, open) {
  const layer = document.getElementById("stage-spotlight");
  const answer = state.stage.spotlight ? state.answers.get(state.stage.spotlight) : null;
  // the spotlight belongs to the wall of answers; an answer the projector does not have (hidden) is never shown
  const shown = Boolean(answer && !answer.hidden && !state.workshop.closed);
  layer.hidden = !shown;
  document.body.classList.toggle("has-spotlight", shown);
  if (!shown) return;
  layer.querySelector("[data-slot=text]").textContent = answer.text;
  layer.querySelector("[data-slot=who]").textContent = answer.organisation || layer.dataset.anonymous;
  const text = layer.querySelector("[data-slot=text]");
  // long answers get smaller type, never below the wall's own size
  text.dataset.length = answer.text.length > 140 ? "long" : answer.text.length > 60 ? "medium" : "short";
}

function cloudKey(state, step) {
  let count = 0;
  let sum = 0;
  for (const answer of state.answers.values()) {
    if (answer.step === step.id && !answer.hidden) {
      count += 1;
      sum += answer.id;
    }
  }
  return `${step.id}:${count}:${sum}`;
}

function renderCloud(state, config, step) {
  const layer = document.getElementById("stage-cloud");
  layer.hidden = !step;
  document.body.classList.toggle("has-cloud", Boolean(step));
  if (!step) {
    cloud.key = "";
    return;
  }
  layer.querySelector("[data-slot=prompt]").textContent = pick(step.prompt, config.lang);
  const key = cloudKey(state, step);
  if (key === cloud.key) return;
  cloud.key = key;
  // at most one request every two seconds, however fast answers arrive; the last change is always fetched
  clearTimeout(cloud.timer);
  const wait = Math.max(0, cloud.fetched + CLOUD_EVERY_MS - Date.now());
  cloud.timer = setTimeout(() => fetchCloud(config, step, layer), wait);
}

async function fetchCloud(config, step, layer) {
  cloud.fetched = Date.now();
  const asked = cloud.key;
  let body;
  try {
    const response = await fetch(`/p/${encodeURIComponent(config.token)}/words?step=${encodeURIComponent(step.id)}`,
      { headers: { Accept: "application/json" } });
    if (!response.ok) return;
    body = await response.json();
  } catch {
    cloud.key = ""; // offline for a moment: the next frame tries again
    return;
  }
  if (asked !== cloud.key && cloud.key === "") return;
  drawCloud(layer, body.words);
}

function drawCloud(layer, words) {
  const box = layer.querySelector("[data-slot=words]");
  const empty = layer.querySelector("[data-slot=empty]");
  empty.hidden = words.length > 0;
  const most = Math.max(1, ...words.map((w) => w.count));
  // the biggest words in the middle: alternate them left and right of the most frequent one
  const ordered = [];
  words.forEach((word, index) => (index % 2 ? ordered.push(word) : ordered.unshift(word)));
  box.replaceChildren(...ordered.map((word) => {
    // the rarest words at the base size, the most frequent at 4 times it; by the square root so a word said
    // twice is not dwarfed by one said ten times
    const share = most > 1 ? Math.sqrt((word.count - 1) / (most - 1)) : 0;
    // each word in its own direction (dir=auto isolates it too): an Arabic word among Dutch ones reads as written
    const span = el("span", { class: "cloud-word", dir: "auto", text: word.word, title: format(layer.dataset.count, { n: word.count }) });
    span.style.fontSize = `${(1 + 3 * share).toFixed(2)}em`;
    span.dataset.weight = share > 0.66 ? "high" : share > 0.33 ? "mid" : "low";
    return span;
  }));
  fitCloud(box);
}

function fitCloud(box) {
  // as large as fits: shrink the base size until every word is on the screen (never below 16 px)
  box.style.fontSize = "";
  let size = parseFloat(getComputedStyle(box).fontSize);
  while ((box.scrollHeight > box.clientHeight + 1 || box.scrollWidth > box.clientWidth + 1) && size > 16) {
    size *= 0.9;
    box.style.fontSize = `${size}px`;
  }
}
