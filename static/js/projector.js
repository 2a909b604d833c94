// The projector: the lobby with the way in, then the room's answers as they arrive.
import { Live, el, format, pick, readConfig, showStatus } from "./live.js";

const config = readConfig("projector-config");
const t = config.messages;
const state = { workshop: null, answers: new Map(), room: { count: 0, organisations: {} } };
const views = { lobby: document.getElementById("lobby"), round: document.getElementById("round"),
  closed: document.getElementById("closed") };
const wall = document.getElementById("round-answers");
let shownIds = new Set();

function step() {
  return state.workshop.steps[state.workshop.step_index];
}

function show(name) {
  for (const [key, node] of Object.entries(views)) node.hidden = key !== name;
  document.body.dataset.view = name;
}

function visible(stepId) {
  return [...state.answers.values()].filter((a) => a.step === stepId && !a.hidden);
}

function card(answer, extra) {
  const fresh = !shownIds.has(answer.id);
  return el("article", { class: `note${fresh ? " fresh" : ""}`, "data-id": answer.id },
    el("p", { class: "text", text: answer.text }),
    el("p", { class: "who", text: answer.organisation || t.anonymous }),
    extra || null);
}

function renderRoom() {
  for (const id of ["room-count", "foot-count"]) document.getElementById(id).textContent = state.room.count;
  const chips = Object.keys(state.room.organisations).sort().map((name) => el("li", { class: "chip", text: name }));
  document.getElementById("organisations").replaceChildren(...chips);
}

function renderRound(current) {
  document.getElementById("round-title").textContent = pick(current.title, config.lang);
  document.getElementById("round-prompt").textContent = pick(current.prompt, config.lang);
  let cards;
  if (current.links_to) {
    const contributions = visible(current.id);
    cards = visible(current.links_to).map((obstacle) => {
      const mine = contributions.filter((c) => c.links_to === obstacle.id);
      const list = mine.length
        ? el("ul", { class: "pledges" }, ...mine.map((c) => el("li", { class: shownIds.has(c.id) ? "" : "fresh" },
          el("span", { text: c.text }), el("span", { class: "who", text: c.organisation || t.anonymous }))))
        : el("p", { class: "who", text: t.no_contributions });
      return card(obstacle, list);
    });
    wall.className = "wall linked";
  } else {
    cards = visible(current.id).reverse().map((answer) => card(answer));
    wall.className = "wall";
  }
  if (!cards.length) cards = [el("p", { class: "waiting", text: t.waiting })];
  wall.replaceChildren(...cards);
}

const SIZES = ["l", "m", "s", "xs"];

function overflows(box) {
  // laid-out boxes, not scrollHeight: a card still sliding in (transform) must not shrink the wall
  const bottom = Math.max(0, ...[...box.children].map((child) => child.offsetTop + child.offsetHeight));
  return bottom > box.clientHeight + 1;
}

function fitWall() {
  // the largest size at which every card fits on the screen
  let i = 0;
  wall.dataset.size = SIZES[i];
  while (i < SIZES.length - 1 && overflows(wall)) wall.dataset.size = SIZES[++i];
  // still too many at the smallest size: show whole cards only, not the top half of the last row
  if (overflows(wall)) {
    for (const child of wall.children) {
      if (child.offsetTop + child.offsetHeight > wall.clientHeight + 1) child.hidden = true;
    }
  }
}

function fitLobby() {
  // a long opgave (or a full room of organisations) must not push the QR code's footer off the screen
  const opgave = document.getElementById("opgave");
  const box = opgave.parentElement;
  opgave.style.fontSize = "";
  let size = parseFloat(getComputedStyle(opgave).fontSize);
  while (box.scrollHeight > box.clientHeight + 1 && size > 20) {
    size *= 0.92;
    opgave.style.fontSize = `${size}px`;
  }
}

function render() {
  const current = step();
  if (state.workshop.closed || current.type === "close") {
    const answers = [...state.answers.values()].filter((a) => !a.hidden).length;
    document.getElementById("closed-summary").textContent = format(t.summary, { answers, people: state.room.count });
    show("closed");
  } else if (current.type === "open_text") {
    renderRound(current);
    show("round");
    fitWall();
  } else {
    show("lobby");
  }
  renderRoom();
  if (!views.lobby.hidden) fitLobby();
  shownIds = new Set([...state.answers.keys()]);
}

function onFrame(frame) {
  if (frame.type === "snapshot") {
    state.workshop = frame.workshop;
    state.room = frame.room;
    state.answers = new Map(frame.answers.map((answer) => [answer.id, answer]));
    shownIds = new Set(state.answers.keys()); // what was there on load is not "new"
  } else if (frame.type === "event") {
    const data = frame.data;
    if (frame.kind === "step.changed") {
      state.workshop.step_index = data.step_index;
      state.workshop.closed = data.closed;
    } else if (frame.kind === "answer.created" || frame.kind === "answer.shown") {
      state.answers.set(data.id, data);
    } else if (frame.kind === "answer.hidden") {
      state.answers.delete(data.id);
    } else if (frame.kind === "participant.joined") {
      state.room.count = data.count;
      state.room.organisations[data.organisation] = (state.room.organisations[data.organisation] || 0) + 1;
    }
  } else {
    return;
  }
  scheduleRender();
}

let pending = false;
function scheduleRender() {
  // a burst of answers becomes one repaint per frame, not one per answer
  if (pending) return;
  pending = true;
  requestAnimationFrame(() => {
    pending = false;
    render();
  });
}

window.addEventListener("resize", () => {
  if (state.workshop) scheduleRender();
});

const live = new Live(`/ws/projector/${config.token}`, {
  workshop: config.workshop,
  onFrame,
  onStatus: (status) => showStatus(document.getElementById("status"), status, t),
});
live.start();
