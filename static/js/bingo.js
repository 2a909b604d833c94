// The projector's bullshitbingo card: the jargon list, with the words the room used in its visible answers stamped.
import { el, format } from "./live.js";
import { findJargon } from "./jargon.js";

const CELLS = 16;
const MIN_FONT = 14;
// answers never change their text: match each one once per word list
let matched = { words: null, byAnswer: new Map() };
let stamped = new Set();
let wasBingo = false;

function matches(answer, words) {
  if (matched.words !== words) matched = { words, byAnswer: new Map() };
  let found = matched.byAnswer.get(answer.id);
  if (!found) {
    found = findJargon(answer.text, words);
    matched.byAnswer.set(answer.id, found);
  }
  return found;
}

function tally(answers, words) {
  const counts = new Map();
  for (const answer of answers) {
    if (answer.hidden) continue;
    for (const { word, count } of matches(answer, words)) counts.set(word, (counts.get(word) || 0) + count);
  }
  return counts;
}

function fitWords(grid) {
  // a long word ("domeinoverstijgend") shrinks until it fits its square; short ones stay large
  for (const cell of grid.children) {
    const word = cell.querySelector(".bingo-word");
    if (!word) continue;
    word.style.fontSize = "";
    let size = parseFloat(getComputedStyle(word).fontSize);
    while ((word.scrollWidth > word.clientWidth + 1 || word.scrollHeight > word.clientHeight + 1) && size > MIN_FONT) {
      size *= 0.9;
      word.style.fontSize = `${size}px`;
    }
  }
}

// Show, hide or update the card in node (the #bingo section of projector.html) for the room's state.
export function renderBingo(node, state) {
  const bingo = state.bingo;
  const on = Boolean(bingo && bingo.on && state.workshop);
  node.hidden = !on;
  document.body.classList.toggle("bingo-on", on);
  if (!on) {
    // shown again later, the card stamps its words anew
    stamped = new Set();
    wasBingo = false;
    return;
  }
  // the card covers the room's answers, never the footer with the way in
  const foot = document.getElementById("foot");
  node.style.bottom = foot ? `${Math.max(0, window.innerHeight - foot.getBoundingClientRect().top)}px` : "0";

  const t = node.dataset;
  const words = bingo.words || {};
  const order = Object.keys(words);
  const counts = tally(state.answers.values(), words);
  // used words first, most used on top; the rest of the list fills the card in its own order
  const used = order.filter((w) => counts.has(w)).sort((a, b) => counts.get(b) - counts.get(a));
  const cells = [...used, ...order.filter((w) => !counts.has(w))].slice(0, CELLS);
  const columns = cells.length >= CELLS ? 4 : Math.max(1, Math.ceil(Math.sqrt(cells.length)));

  const grid = node.querySelector('[data-slot="grid"]');
  grid.style.setProperty("--columns", columns);
  grid.style.setProperty("--rows", Math.max(1, Math.ceil(cells.length / columns)));
  const fullRows = new Set();
  for (let start = 0; start + columns <= cells.length; start += columns) {
    if (cells.slice(start, start + columns).every((w) => counts.has(w))) fullRows.add(start / columns);
  }
  grid.replaceChildren(...cells.map((word, index) => {
    const n = counts.get(word) || 0;
    const fresh = n && !stamped.has(word);
    const classes = ["bingo-cell", n ? "used" : "", fresh ? "fresh" : "", fullRows.has(Math.floor(index / columns)) ? "in-row" : ""];
    return el("li", { class: classes.filter(Boolean).join(" "), "data-word": word },
      el("span", { class: "bingo-word", text: word }),
      n ? el("span", { class: "bingo-count", "aria-label": format(t.times, { n }), text: format(t.count, { n }) }) : null);
  }));
  if (!cells.length) grid.replaceChildren(el("li", { class: "bingo-empty", text: t.empty }));
  stamped = new Set(used);

  node.querySelector('[data-slot="score"]').textContent = format(t.score, { n: used.length, total: order.length });
  const top = used[0];
  node.querySelector('[data-slot="top"]').textContent = top
    ? format(words[top] ? t.top : t.topPlain, { word: top, n: counts.get(top), suggestion: words[top] })
    : t.none;
  const shout = node.querySelector('[data-slot="shout"]');
  const isBingo = fullRows.size > 0;
  shout.hidden = !isBingo;
  // the flourish plays once, when the first row fills
  if (isBingo && !wasBingo) {
    shout.classList.remove("pop");
    void shout.offsetWidth;
    shout.classList.add("pop");
  }
  wasBingo = isBingo;
  fitWords(grid);
}
