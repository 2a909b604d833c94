// The projector: the lobby with the way in, then the room's answers as they arrive.
import { Live, count, dateLocale, el, format, localDate, pick, readConfig, showStatus } from "./live.js";
import { renderBingo } from "./bingo.js";
import { renderStage } from "./stage.js";
import { choiceChart, gradeChart, mosaicGrid, reviewList, reviewSummary } from "./results.js";
import { applyFrame, newRoom } from "./room.js";

const config = readConfig("projector-config");
const t = config.messages;
const state = newRoom();
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
    answer.theme ? el("p", { class: "tags" }, el("span", { class: "tag", text: config.results.themes[answer.theme] })) : null,
    extra || null);
}

function renderRoom() {
  for (const id of ["room-count", "foot-count"]) document.getElementById(id).textContent = state.room.count;
  const people = state.room.count === 1 ? t.people_one : t.people;
  for (const label of document.querySelectorAll(".people-label")) label.textContent = people;
  const chips = Object.keys(state.room.organisations).sort().map((name) => el("li", { class: "chip", text: name }));
  document.getElementById("organisations").replaceChildren(...chips);
}

function renderRound(current) {
  document.getElementById("round-title").textContent = pick(current.title, config.lang);
  document.getElementById("round-prompt").textContent = pick(current.prompt, config.lang);
  let cards;
  if (current.links_to) {
    const contributions = visible(current.id);
    let obstacles = visible(current.links_to);
    const focus = state.clusters.filter((c) => c.focus).flatMap((c) => c.answers);
    // when the round is limited to the focus clusters, so is the wall
    if (state.workshop.focus_only && focus.length) obstacles = obstacles.filter((o) => focus.includes(o.id));
    cards = obstacles.map((obstacle) => {
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

function texts(ids) {
  return ids.map((id) => state.answers.get(id)).filter((a) => a && !a.hidden);
}

function clusterCard(cluster, extra) {
  const tags = [config.results.tensions[cluster.tension], config.results.themes[cluster.theme]].filter(Boolean)
    .map((tag) => el("span", { class: "tag", text: tag }));
  const members = texts(cluster.answers);
  return el("article", { class: `note cluster${cluster.focus ? " is-focus" : ""}`, "data-cluster": cluster.id },
    el("p", { class: "text", text: cluster.name }),
    tags.length ? el("p", { class: "tags" }, ...tags) : null,
    members.length > 1 || (members[0] && members[0].text !== cluster.name)
      ? el("ul", { class: "members" }, ...members.map((a) => el("li", { text: a.text }))) : null,
    extra || null);
}

function renderClusters(current) {
  document.getElementById("round-title").textContent = pick(current.title, config.lang);
  document.getElementById("round-prompt").textContent = t.grouping;
  const clustered = new Set(state.clusters.flatMap((c) => c.answers));
  const loose = visible(current.source).filter((a) => !clustered.has(a.id));
  const cards = [...state.clusters.filter((c) => texts(c.answers).length).map((c) => clusterCard(c)),
    ...loose.map((a) => card(a))];
  wall.className = "wall";
  wall.replaceChildren(...(cards.length ? cards : [el("p", { class: "waiting", text: t.waiting })]));
}

function renderRanking(current) {
  document.getElementById("round-title").textContent = pick(current.title, config.lang);
  document.getElementById("round-prompt").textContent = pick(current.prompt, config.lang);
  const piles = state.clusters.filter((c) => texts(c.answers).length);
  const most = Math.max(1, ...piles.map((c) => c.votes));
  const rows = piles.map((cluster, index) => {
    const bar = el("span", { class: "bar" });
    bar.style.width = `${(100 * cluster.votes) / most}%`;
    return el("article", { class: `rank${cluster.focus ? " is-focus" : ""}`, "data-cluster": cluster.id },
      el("span", { class: "place", text: String(index + 1) }),
      el("span", { class: "rank-name", text: cluster.name }),
      el("span", { class: "bar-track" }, bar),
      el("span", { class: "rank-votes", text: String(cluster.votes) }));
  });
  wall.className = "wall ranking";
  wall.replaceChildren(...(rows.length ? rows : [el("p", { class: "waiting", text: t.waiting })]));
}

function renderActions(current) {
  document.getElementById("round-title").textContent = pick(current.title, config.lang);
  document.getElementById("round-prompt").textContent = t.agreed;
  const cards = state.actions.map((action) => {
    const facts = [[action.owner, ...action.partners].join(" + ")];
    if (action.due_on) facts.push(format(t.due, { date: localDate(action.due_on).toLocaleDateString(dateLocale(config.lang), { day: "numeric", month: "long" }) }));
    const names = action.volunteers.map((v) => v.name || v.organisation);
    return el("article", { class: "note action", "data-action": action.id },
      el("p", { class: "text", text: action.title }),
      el("p", { class: "who", text: facts.join(" · ") }),
      el("p", { class: "hands", text: names.length ? format(t.hands, { names: names.join(", ") }) : t.no_hands }));
  });
  wall.className = "wall";
  wall.replaceChildren(...(cards.length ? cards : [el("p", { class: "waiting", text: t.no_actions })]));
}

function heading(current, prompt) {
  document.getElementById("round-title").textContent = pick(current.title, config.lang);
  document.getElementById("round-prompt").textContent = prompt;
}

function renderTally(current) {
  heading(current, pick(current.prompt, config.lang));
  const tally = state.tallies[current.id];
  const chart = current.type === "grade" ? gradeChart(tally, config.results, config.lang)
    : choiceChart(tally, current, config.results, config.lang);
  wall.className = `wall results ${current.type}`;
  wall.replaceChildren(tally.count ? chart : el("p", { class: "waiting", text: t.waiting }));
}

function renderMosaic(current) {
  heading(current, pick(current.help, config.lang));
  wall.className = "wall results mosaic-wall";
  wall.replaceChildren(state.mosaic ? mosaicGrid(state.mosaic, config.results, config.lang)
    : el("p", { class: "waiting", text: t.waiting }));
}

function renderReview(current) {
  heading(current, state.review.items.length ? reviewSummary(state.review, config.results) : pick(current.prompt, config.lang));
  wall.className = "wall results review-wall";
  wall.replaceChildren(reviewList(state.review, config.results, config.lang));
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

const DRAW = {
  open_text: renderRound, cluster: renderClusters, dot_vote: renderRanking, actions: renderActions,
  grade: renderTally, choice: renderTally, mosaic: renderMosaic, action_review: renderReview,
};

function render() {
  const current = step();
  if (state.workshop.closed || current.type === "close") {
    const answers = [...state.answers.values()].filter((a) => !a.hidden).length;
    document.getElementById("closed-summary").textContent = count(t, "summary", { answers, people: state.room.count, n: state.room.count });
    const followup = state.workshop.followup;
    document.getElementById("closed-followup").textContent = followup
      ? format(t.followup, { when: [new Date(followup.at).toLocaleString(dateLocale(config.lang),
        { weekday: "long", day: "numeric", month: "long", hour: "2-digit", minute: "2-digit" }), followup.place]
        .filter(Boolean).join(", ") })
      : "";
    show("closed");
  } else if (current.type in DRAW) {
    DRAW[current.type](current);
    show("round");
    fitWall();
  } else {
    show("lobby");
  }
  renderRoom();
  renderBingo(document.getElementById("bingo"), state);
  renderStage(state, config);
  if (!views.lobby.hidden) fitLobby();
  shownIds = new Set([...state.answers.keys()]);
}

function onFrame(frame) {
  const first = frame.type === "snapshot";
  if (!applyFrame(state, frame, { keepHidden: false })) return;
  if (first) shownIds = new Set(state.answers.keys()); // what was there on load is not "new"
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
