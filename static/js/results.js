// Grades, choices, the mosaic and the follow-up's look back, drawn the same on the projector, the board and phones.
import { count, dateLocale, el, format, pick } from "./live.js";

export function number(value, lang) {
  return value === null || value === undefined ? "–"
    : Number(value).toLocaleString(dateLocale(lang), { maximumFractionDigits: 1 });
}

function bar(share) {
  const fill = el("span", { class: "bar" });
  fill.style.width = `${Math.round(100 * share)}%`;
  return el("span", { class: "bar-track" }, fill);
}

// a grade step: one column per grade, and the figures a room can argue about
export function gradeChart(tally, t, lang) {
  const grades = Object.entries(tally.distribution);
  const most = Math.max(1, ...grades.map(([, n]) => n));
  const columns = grades.map(([grade, n]) => {
    const fill = el("span", { class: "column-fill" });
    fill.style.height = `${Math.round((100 * n) / most)}%`;
    return el("li", { class: `column${n ? "" : " empty"}`, "data-grade": grade, title: format(t.grade_count, { grade, n }) },
      el("span", { class: "column-n", text: n ? String(n) : "" }),
      el("span", { class: "column-track" }, fill),
      el("span", { class: "column-label", text: grade }));
  });
  return el("div", { class: "grade-chart" },
    el("ol", { class: "columns-chart", "aria-label": t.distribution }, ...columns),
    el("dl", { class: "figures" },
      figure(t.mean, number(tally.mean, lang), "mean"),
      figure(t.median, number(tally.median, lang), "median"),
      figure(t.spread, number(tally.spread, lang), "spread"),
      figure(t.count, String(tally.count), "count")));
}

function figure(label, value, name) {
  return el("div", { class: "figure", "data-figure": name }, el("dt", { text: label }), el("dd", { text: value }));
}

// a choice step: the options with how often each was picked
export function choiceChart(tally, step, t, lang) {
  const most = Math.max(1, ...tally.counts);
  const rows = step.options.map((option, index) => el("li", { class: "choice-row", "data-option": index },
    el("span", { class: "choice-label", text: pick(option, lang) }),
    bar(tally.counts[index] / most),
    el("span", { class: "choice-n", text: String(tally.counts[index]) })));
  return el("div", { class: "choice-chart" },
    el("ul", { class: "choice-rows" }, ...rows),
    el("p", { class: "muted", text: format(t.responses, { n: tally.count }) }));
}

// what the mosaic marks, said as it is: the format's help said "the weakest block is marked" when every block tied
// and none was; empty before the first grade
export function mosaicNote(mosaic, t) {
  if (!mosaic?.tiles.some((tile) => tile.count)) return "";
  const marked = mosaic.tiles.filter((tile) => tile.weakest).length;
  if (!marked) return t.mosaic_none;
  return marked === 1 ? t.mosaic_one : t.mosaic_many;
}

// the network's health at a glance: a tile per building block, the weakest marked (all that share the lowest mean,
// none when every block does: app.responses.service.weakest_blocks)
export function mosaicGrid(mosaic, t, lang) {
  const tiles = mosaic.tiles.map((tile) => {
    const weakest = tile.weakest;
    return el("li", { class: `tile level-${tile.level}${weakest ? " weakest" : ""}`, "data-step": tile.step },
      el("span", { class: "tile-name", text: pick(tile.tile, lang) }),
      el("span", { class: "tile-mean", text: number(tile.mean, lang) }),
      el("span", { class: "tile-facts", text: count(t, "tile_facts", { spread: number(tile.spread, lang), n: tile.count }) }),
      weakest ? el("span", { class: "tile-flag", text: t.weakest }) : null);
  });
  return el("ol", { class: "mosaic" }, ...tiles);
}

// a follow-up: each earlier action, where it stood and where it stands now; from which workshop, when a selection
// from the register spans several
export function reviewList(review, t, lang, extra) {
  if (!review.items.length) return el("p", { class: "waiting", text: review.workshop ? t.review_none : t.review_unset });
  const spread = review.workshops > 1;
  return el("ul", { class: "review-list" }, ...review.items.map((item) => reviewItem(item, t, { spread, extra })));
}

// one earlier action as a card: an item of the board's list, or (tag "article") a card on the projector's wall.
// "moved" is the server's: since the room last looked, reported here or between the sessions (a mail, the register)
export function reviewItem(item, t, { spread = false, extra = null, tag = "li" } = {}) {
  const known = item.reported || item.moved;
  return el(tag, { class: `review-item status-${item.status}${item.moved ? " moved" : ""}`, "data-action": item.id },
    el("p", { class: "text", text: item.title }),
    el("p", { class: "who", text: item.owner }),
    spread ? el("p", { class: "agreed-in", text: item.workshop_title }) : null,
    el("p", { class: "status-line" },
      el("span", { class: `status-chip status-${item.before}`, text: t.statuses[item.before] || item.before }),
      el("span", { class: "arrow", "aria-hidden": "true", text: " → " }),
      el("span", { class: `status-chip status-${item.status}`, text: known ? (t.statuses[item.status] || item.status) : "?" })),
    // a win the room sees without anyone reporting it again
    item.moved && !item.reported ? el("p", { class: "since", text: t.review_since }) : null,
    item.note ? el("p", { class: "note-text", text: item.note }) : null,
    extra ? extra(item) : null);
}

export function reviewSummary(review, t) {
  const moved = review.items.filter((item) => item.moved).length;
  const figures = { moved, total: review.items.length, workshops: review.workshops };
  return format(review.workshops > 1 ? t.review_summary_spread : t.review_summary, figures);
}
