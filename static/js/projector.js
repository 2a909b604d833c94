// The projector: the lobby with the way in, then the room's answers as they arrive.
import { Live, count, dateLocale, el, fewNames, format, formatNodes, localDate, nameList, pick, readConfig, showRemoved, showStatus } from "./live.js";
import { renderBingo } from "./bingo.js";
import { renderStage } from "./stage.js";
import { choiceChart, gradeChart, mosaicGrid, mosaicNote, reviewItem, reviewList, reviewSummary } from "./results.js";
import { applyFrame, newRoom } from "./room.js";

const config = readConfig("projector-config");
const t = config.messages;
const state = newRoom();
const views = { lobby: document.getElementById("lobby"), round: document.getElementById("round"),
  closed: document.getElementById("closed") };
const wall = document.getElementById("round-answers");
let shownIds = new Set();

// How many examples a pile card shows before "+N meer": a pile is read by its name, not by every obstacle in it.
// A wall of more than CROWDED piles (two rows of four) shows two, each on at most two lines (app.css .crowded),
// so piles stand two high in every column: forty piles were fourteen pages, a long-named one across the wall
const PILE_EXAMPLES = 3;
const CROWDED_EXAMPLES = 2;
const CROWDED = 8;
// rows of the vote's ranking that fit one page at 1920x1080
const CROWDED_RANKING = 10;

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

function texts(ids) {
  return ids.map((id) => state.answers.get(id)).filter((a) => a && !a.hidden);
}

// a list cut to `limit` items, with "+N meer" for the rest: a card taller than the wall is summarised, never cut
function limited(items, limit) {
  return { shown: items.slice(0, limit), rest: Math.max(0, items.length - limit) };
}

function more(rest) {
  return rest ? el("p", { class: "more", text: format(t.more, { n: rest }) }) : null;
}

function fresh(id) {
  return shownIds.has(id) ? "" : " fresh";
}

// people's own words take their own direction (dir=auto), as on the phone: an Arabic answer stood left-aligned with
// its full stop on the wrong side. In a list with bullets the words go in a span: a right-to-left item put its
// bullet outside the card
function card(answer, ...extra) {
  return el("article", { class: `note${fresh(answer.id)}`, "data-id": answer.id },
    el("p", { class: "text", dir: "auto", text: answer.text }),
    el("p", { class: "who", dir: "auto", text: answer.organisation || t.anonymous }),
    answer.theme ? el("p", { class: "tags" }, el("span", { class: "tag", text: config.results.themes[answer.theme] })) : null,
    ...extra);
}

// One thing on the wall: `key` changes whenever what it shows changes; `make(limit)` draws it with at most `limit`
// list items (pledges, pile examples, hands); `items` is how many there are.
// `wide` spans the whole wall from the start; `half` keeps the card to half the wall's height, summarising its list
// (a crowded wall's piles stand two high in every column).
function entry(key, items, make, wide = false, half = false) {
  return { key: JSON.stringify(key), items, make, wide, half };
}

function answerEntry(answer) {
  return entry(["answer", answer.id, answer.text, answer.organisation, answer.theme], 0, () => card(answer));
}

function isObstacleStep(current) {
  return state.workshop.steps.some((s) => s.source === current.id || s.links_to === current.id);
}

function renderRound(current) {
  heading(current, pick(current.prompt, config.lang));
  if (current.links_to) {
    renderPledges(current);
    return;
  }
  const answers = visible(current.id).reverse(); // newest first: what just arrived is on page 1
  const noun = isObstacleStep(current) ? "count_obstacles" : "count_answers";
  fill("wall", answers.map(answerEntry), [count(t, noun, { n: answers.length })], new Set([current.id]));
}

// piles the way the contribution round reads them: focus piles first, then the room's ranking (most dots first)
function rankedPiles() {
  const piles = state.clusters.filter((c) => texts(c.answers).length);
  return piles.map((pile, rank) => ({ pile, rank }))
    .sort((a, b) => Number(b.pile.focus) - Number(a.pile.focus) || a.rank - b.rank).map(({ pile }) => pile);
}

// The contribution round: each contribution under the pile (or the loose obstacle) it answers, the piles that have
// contributions in the room's order, then one card that names what nobody has taken up yet. 151 obstacles with a
// card each, most of them saying "no contributions yet", made a round of 60 contributions 29 pages long.
function renderPledges(current) {
  const contributions = visible(current.id);
  const obstacles = new Map(visible(current.links_to).map((o) => [o.id, o]));
  const answering = new Map();
  for (const contribution of contributions) {
    if (!answering.has(contribution.links_to)) answering.set(contribution.links_to, []);
    answering.get(contribution.links_to).push(contribution);
  }
  const piles = rankedPiles();
  const focus = piles.filter((c) => c.focus);
  // when the round is limited to the focus clusters, so is the wall
  const limitToFocus = state.workshop.focus_only && focus.length;
  const groups = [];
  for (const pile of limitToFocus ? focus : piles) {
    const members = pile.answers.filter((id) => obstacles.has(id)).map((id) => obstacles.get(id));
    for (const obstacle of members) obstacles.delete(obstacle.id);
    if (members.length) groups.push({ pile, members });
  }
  if (!limitToFocus) groups.push(...[...obstacles.values()].map((o) => ({ pile: null, members: [o] })));
  for (const group of groups) group.pledges = group.members.flatMap((o) => answering.get(o.id) || []);
  const taken = groups.filter((g) => g.pledges.length);
  const open = groups.filter((g) => !g.pledges.length);
  const entries = taken.map(pledgeEntry);
  if (open.length) entries.push(openEntry(open));
  const shown = groups.reduce((sum, g) => sum + g.members.length, 0);
  const pledged = taken.reduce((sum, g) => sum + g.pledges.length, 0);
  fill("wall linked", entries, [count(t, "count_obstacles", { n: shown }),
    count(t, "count_contributions", { n: pledged })], new Set([current.id, current.links_to]));
}

function groupTitle({ pile, members }) {
  return pile ? pile.name : members[0].text;
}

function pledgeEntry(group) {
  const { pile, members, pledges } = group;
  const title = groupTitle(group);
  // a pile of one that carries its obstacle's own words is that obstacle; in this round the room reads what is
  // promised, so who named the obstacle gives way to one more promise on the page
  const single = members.length === 1 && members[0].text === title;
  const who = single ? null : count(t, "count_obstacles", { n: members.length });
  const key = ["pledged", pile ? pile.id : members[0].id, title, who, pile && pile.focus,
    pledges.map((c) => [c.id, c.text, c.organisation])];
  return entry(key, pledges.length, (limit) => {
    const { shown, rest } = limited(pledges, limit);
    const node = el("article", { class: `note pledge-group${pile && pile.focus ? " is-focus" : ""}`,
      "data-cluster": pile ? pile.id : null, "data-id": single ? members[0].id : null },
    el("p", { class: "text", dir: "auto", text: title }),
    who ? el("p", { class: "who", text: who }) : null,
    el("ul", { class: "pledges" }, ...shown.map((c) => el("li", { class: fresh(c.id).trim() },
      el("span", { class: "pledge", dir: "auto", text: c.text }), " ", el("span", { class: "who", dir: "auto", text: c.organisation || t.anonymous })))),
    more(rest));
    return node;
  });
}

// a reminder, not a reading: the first words of an obstacle are enough to pick it on the phone
const OPEN_TITLE_MOST = 60;

// What nobody has taken up yet, in the piles' order: a pile by its name and how many obstacles it holds, a pile of
// one (or a loose obstacle) by its own words. Listing every obstacle of every pile named 27 of 151, the room's
// own piles among them unrecognisable, then "+124 meer".
function openEntry(open) {
  const short = (text) => (text.length > OPEN_TITLE_MOST ? `${text.slice(0, OPEN_TITLE_MOST - 1).trimEnd()}…` : text);
  const items = open.map((group) => {
    const title = groupTitle(group);
    const single = group.members.length === 1 && group.members[0].text === title;
    return { title: short(title), size: single ? null : group.members.length };
  });
  const obstacles = open.reduce((sum, group) => sum + group.members.length, 0);
  return entry(["open", items], items.length, (limit) => {
    const { shown, rest } = limited(items, limit);
    return el("article", { class: "note still-open" },
      el("p", { class: "text", text: format(t.still_open, { n: obstacles }) }),
      el("ul", { class: "open-list" }, ...shown.map(({ title, size }) => el("li", { class: size ? "is-pile" : null, dir: "auto" },
        el("span", { dir: "auto", text: title }), size ? el("span", { class: "open-size", text: String(size) }) : null))),
      more(rest));
  }, true);
}

function pileEntry(cluster, crowded) {
  const members = texts(cluster.answers);
  const tags = [config.results.tensions[cluster.tension], config.results.themes[cluster.theme]].filter(Boolean);
  // a pile of one that carries its obstacle's own words needs no example under it
  const examples = members.length > 1 || members[0].text !== cluster.name ? members : [];
  const most = crowded ? CROWDED_EXAMPLES : PILE_EXAMPLES;
  const key = ["pile", cluster.id, cluster.name, cluster.focus, tags, members.map((a) => [a.id, a.text]), most];
  return entry(key, Math.min(examples.length, most), (limit) => {
    const { shown, rest } = limited(examples, Math.min(limit, most));
    return el("article", { class: `note cluster${cluster.focus ? " is-focus" : ""}`, "data-cluster": cluster.id },
      el("p", { class: "text", dir: "auto", text: cluster.name }),
      el("p", { class: "who pile-count", text: count(t, "count_obstacles", { n: members.length }) }),
      tags.length ? el("p", { class: "tags" }, ...tags.map((tag) => el("span", { class: "tag", text: tag }))) : null,
      shown.length ? el("ul", { class: "members" }, ...shown.map((a) => el("li", {}, el("span", { dir: "auto", text: a.text })))) : null,
      more(rest));
  }, false, crowded);
}

function renderClusters(current) {
  heading(current, t.grouping);
  const piles = state.clusters.filter((c) => texts(c.answers).length);
  const clustered = new Set(piles.flatMap((c) => c.answers));
  const obstacles = visible(current.source);
  const loose = obstacles.filter((a) => !clustered.has(a.id));
  const summary = [count(t, "count_obstacles", { n: obstacles.length })];
  if (piles.length) summary.push(count(t, "count_piles", { n: piles.length }));
  const crowded = piles.length > CROWDED;
  fill(crowded ? "wall crowded" : "wall", [...piles.map((pile) => pileEntry(pile, crowded)), ...loose.map(answerEntry)],
    summary, new Set([current.source]));
}

function renderRanking(current) {
  heading(current, pick(current.prompt, config.lang));
  const piles = state.clusters.filter((c) => texts(c.answers).length);
  const most = Math.max(1, ...piles.map((c) => c.votes));
  // in a long ranking a pile of one (a loose obstacle the vote gave a pile) is a short row, two side by side; a pile
  // the room made keeps its row across the wall. 151 loose obstacles, a full row each, were 17 pages. A ranking that
  // fits a page keeps every row whole; a crowded one keeps each name to two lines (office.css .crowded .rank).
  const crowded = piles.length > CROWDED_RANKING;
  const entries = piles.map((cluster, index) => {
    const members = texts(cluster.answers);
    const single = crowded && members.length === 1 && members[0].text === cluster.name;
    const key = ["rank", cluster.id, index, cluster.name, cluster.votes, most, cluster.focus, crowded, single];
    return entry(key, 0, () => {
      const bar = el("span", { class: "bar" });
      bar.style.width = `${(100 * cluster.votes) / most}%`;
      return el("article", { class: `rank${single ? " is-single" : ""}${cluster.focus ? " is-focus" : ""}`,
        "data-cluster": cluster.id },
      el("span", { class: "place", text: String(index + 1) }),
      el("span", { class: "rank-name", dir: "auto", text: cluster.name }),
      el("span", { class: "bar-track" }, bar),
      el("span", { class: "rank-votes", text: String(cluster.votes) }));
    }, !single);
  });
  const summary = [count(t, "count_piles", { n: piles.length })];
  fill(crowded ? "wall ranking crowded" : "wall ranking", entries, summary, new Set(), t.waiting, true);
}

function renderActions(current) {
  heading(current, t.agreed);
  const entries = state.actions.map((action) => {
    const organisations = [action.owner, ...action.partners];
    const due = action.due_on ? [" · ", format(t.due, { date: localDate(action.due_on).toLocaleDateString(dateLocale(config.lang), { day: "numeric", month: "long" }) })] : [];
    const names = action.volunteers.map((v) => v.name || v.organisation);
    return entry(["action", action.id, action.title, organisations, due, names], 0, () => {
      const { shown, rest } = fewNames(names, t.others);
      return el("article", { class: "note action", "data-action": action.id },
        el("p", { class: "text", dir: "auto", text: action.title }),
        el("p", { class: "who" }, ...nameList(organisations, " + "), ...due),
        names.length
          ? el("p", { class: "hands" }, ...formatNodes(t.hands, "names", [...nameList(shown, ", "), rest ? ` ${rest}` : ""]))
          : el("p", { class: "hands", text: t.no_hands }));
    });
  });
  fill("wall", entries, [count(t, "count_actions", { n: entries.length })], new Set(), t.no_actions);
}

function heading(current, prompt) {
  document.getElementById("round-title").textContent = pick(current.title, config.lang);
  document.getElementById("round-prompt").textContent = prompt;
}

function results(className, content) {
  paged = null;
  wall.className = className;
  wall.replaceChildren(content);
}

function renderTally(current) {
  heading(current, pick(current.prompt, config.lang));
  const tally = state.tallies[current.id];
  const chart = current.type === "grade" ? gradeChart(tally, config.results, config.lang)
    : choiceChart(tally, current, config.results, config.lang);
  results(`wall results ${current.type}`, tally.count ? chart : el("p", { class: "waiting", text: t.waiting }));
}

function renderMosaic(current) {
  heading(current, [pick(current.help, config.lang), mosaicNote(state.mosaic, config.results)].filter(Boolean).join(" "));
  results("wall results mosaic-wall", state.mosaic ? mosaicGrid(state.mosaic, config.results, config.lang)
    : el("p", { class: "waiting", text: t.waiting }));
}

function renderReview(current) {
  const review = state.review;
  heading(current, review.items.length ? reviewSummary(review, config.results) : pick(current.prompt, config.lang));
  if (!review.items.length) {
    results("wall results review-wall", reviewList(review, config.results, config.lang));
    return;
  }
  // paged like the other walls: a look-back on 30 actions showed the first six and cut off the rest
  const spread = review.workshops > 1;
  const entries = review.items.map((item) => entry(["review", item, spread], 0,
    () => reviewItem(item, config.results, { spread, tag: "article" })));
  fill("wall results review-wall", entries, [], new Set());
}

// ---------------------------------------------------------------------------------------------------------------
// Paging. The wall never shrinks text to fit and never drops a card: the cards keep one readable size (set in
// app.css in viewport units) and what does not fit goes onto further pages, which turn by themselves.
// The rule: every page stays up CYCLE_MS / pages, but never less than MIN_DWELL_MS, so up to
// CYCLE_MS / MIN_DWELL_MS pages every answer is on screen within a minute; beyond that (hundreds of answers)
// the cycle grows, because a page that turns faster than it can be read shows nothing. ?dwell=<seconds> on the
// projector's address fixes the time per page (for tests and rehearsals); → / PageDown and ← / PageUp turn by hand,
// the space bar (or P) pauses the turning while the room talks about a page, and starts it again: the same pause
// as the board's "Bladeren stilzetten" (P there), so the board shows it and either side lifts it.
const CYCLE_MS = 60_000;
const MIN_DWELL_MS = 7_000;
const FADE_MS = 450;
const dwellParam = Number(new URLSearchParams(location.search).get("dwell"));
const FIXED_DWELL_MS = dwellParam >= 1 && dwellParam <= 600 ? dwellParam * 1000 : null;
const calm = window.matchMedia("(prefers-reduced-motion: reduce)");

let paged = null; // what the wall shows: { className, entries, summary, steps, empty }, or null for the charts
const pager = { view: null, index: 0, pages: [], arrived: 0, timer: null, size: "", turning: false, paused: false,
  held: false };
const progress = document.getElementById("wall-progress");
const drawn = new Map(); // entry key -> { node, height, span, fitted }: a card is drawn and measured once
let repack = true; // false while only new answers arrived on a later page: those wait for page 1
const pageBox = el("div", { class: "wall-page" });
const measureBox = el("div", { class: "wall-measure", "aria-hidden": "true" });
const probe = el("div", { class: "wall-probe" });

// `ordered`: the wall is a ranking, read in its order; no card is moved ahead to fill a gap
function fill(className, entries, summary, steps, empty = t.waiting, ordered = false) {
  paged = { className, entries, summary, steps, empty, ordered };
}

function dwell() {
  return FIXED_DWELL_MS ?? Math.max(MIN_DWELL_MS, CYCLE_MS / pager.pages.length);
}

function geometry() {
  // the card width and gap come from app.css (--column, --gap on the wall's class), read off a probe
  measureBox.style.width = "";
  measureBox.replaceChildren(probe);
  const width = wall.clientWidth;
  const gap = probe.offsetHeight;
  const columns = Math.max(1, Math.floor((width + gap) / (probe.offsetWidth + gap)));
  measureBox.replaceChildren();
  return { width, gap, columns, column: (width - gap * (columns - 1)) / columns, height: wall.clientHeight };
}

function measure(width, jobs) {
  // all new cards in one layout pass, in a hidden box as wide as they will be shown
  measureBox.style.width = `${width}px`;
  measureBox.replaceChildren(...jobs.map((job) => job.node));
  for (const job of jobs) job.height = job.node.offsetHeight;
  measureBox.replaceChildren();
}

// how wide a card across `span` columns is
function spanWidth(geo, span) {
  return span * geo.column + (span - 1) * geo.gap;
}

function draw(entry, limit, span = 1) {
  const node = entry.make(limit);
  node.addEventListener("animationend", () => node.classList.remove("fresh"), { once: true });
  if (span > 1) node.classList.add("wide");
  return { node, height: 0, span };
}

function sizeCards(entries, geo, ordered) {
  const fresh = { narrow: [], wide: [] };
  for (const e of entries) {
    if (!drawn.has(e.key)) {
      drawn.set(e.key, draw(e, Infinity, e.wide ? geo.columns : 1));
      fresh[e.wide ? "wide" : "narrow"].push(drawn.get(e.key));
    }
  }
  measure(geo.column, fresh.narrow);
  measure(geo.width, fresh.wide);
  const half = (geo.height - geo.gap) / 2;
  for (const e of entries) {
    let shown = drawn.get(e.key);
    if (shown.fitted) continue;
    // a crowded wall's pile keeps to half the wall with fewer examples: two in one column that did not fit left
    // half of every column empty (an English wall's longer tags, a long name on three lines)
    if (e.half && shown.height > half) {
      drawn.set(e.key, Object.assign(fitted(e, geo, 1, half), { fitted: true }));
      continue;
    }
    if (shown.height <= geo.height) continue;
    // taller than the wall in one column: across as few columns as it needs, so the columns beside it still fill
    // (spread across the whole wall, a focus pile with twelve contributions was all of page 1); across the whole
    // wall and still too tall, with its list summarised ("+4 meer")
    for (let span = shown.span + 1; span <= geo.columns && shown.height > geo.height; span += 1) {
      shown = draw(e, Infinity, span);
      measure(spanWidth(geo, span), [shown]);
    }
    drawn.set(e.key, shown.height <= geo.height ? shown : Object.assign(fitted(e, geo, geo.columns, geo.height),
      { fitted: true }));
  }
  if (!ordered) narrower(entries.filter((e) => e.wide).map((e) => drawn.get(e.key)), geo);
}

// a card wide from the start ("nog zonder bijdrage") measured across fewer columns too: when it no longer fits under
// everything on a page it may still fit beside the columns that end high, rather than open a page of its own
function narrower(cards, geo) {
  for (const card of cards) card.heights ??= {};
  for (let span = geo.columns - 1; span >= 1; span -= 1) {
    const jobs = cards.filter((card) => !card.fitted && !(span in card.heights)).map((card) => ({ card, node: card.node }));
    measure(spanWidth(geo, span), jobs);
    for (const { card, height } of jobs) card.heights[span] = height;
  }
}

// the card across `span` columns with as many of its list items as fit `height`, found by halving (a list of 100
// open obstacles is measured seven times, not a hundred)
function fitted(e, geo, span, height) {
  const width = spanWidth(geo, span);
  let best = null;
  let low = 0;
  let high = e.items - 1;
  while (low <= high) {
    const limit = Math.floor((low + high) / 2);
    const shown = draw(e, limit, span);
    measure(width, [shown]);
    if (shown.height <= height) {
      best = shown;
      low = limit + 1;
    } else {
      high = limit - 1;
    }
  }
  if (best) return best;
  const none = draw(e, 0, span);
  measure(width, [none]);
  return none;
}

// the first run of `span` columns whose cards end highest: where a card across them goes
function lowestRun(tops, span) {
  let best = 0;
  let bestTop = Infinity;
  for (let column = 0; column + span <= tops.length; column += 1) {
    const top = Math.max(...tops.slice(column, column + span));
    if (top < bestTop) [best, bestTop] = [column, top];
  }
  return best;
}

// where a wide card fits across fewer columns under the ones that end highest, as wide as it can: null if nowhere
function besideColumns(card, tops, geo) {
  for (let span = geo.columns - 1; span >= 1; span -= 1) {
    const height = card.heights?.[span];
    if (height === undefined) continue;
    const column = lowestRun(tops, span);
    let top = Math.max(...tops.slice(column, column + span));
    if (top) top += geo.gap;
    if (top + height <= geo.height) {
      return { node: card.node, left: column * (geo.column + geo.gap), top, width: spanWidth(geo, span), span, column };
    }
  }
  return null;
}

// how many cards a page may pass over to fill a gap with a smaller one further on: enough to fill the bottom of
// each column, few enough that what came in just now is never moved pages away
const LOOKAHEAD = 8;

function pack(entries, geo, ordered) {
  // masonry in reading order: each card goes to the shortest column (a card across several columns to the
  // shortest run of them). A card that no longer fits waits for the next page while the next few cards may still
  // fill the gaps: one tall card left a quarter of every page empty.
  const pages = [];
  const wide = (card) => card.span >= geo.columns;
  let left = entries.map((e) => drawn.get(e.key));
  while (left.length) {
    const page = [];
    const tops = new Array(geo.columns).fill(0);
    const waiting = [];
    for (const card of left) {
      // a wide card goes first on a page, or under the narrow cards around it once they have filled the columns:
      // placed where it came it cut the page in two and left the columns above it half empty
      if (waiting.length >= (ordered ? 1 : LOOKAHEAD) || (wide(card) && page.length && !ordered)) {
        waiting.push(card);
        continue;
      }
      const { node, height } = card;
      const span = Math.min(card.span, geo.columns);
      const column = lowestRun(tops, span);
      let top = Math.max(...tops.slice(column, column + span));
      if (top) top += geo.gap;
      if (page.length && top + height > geo.height) {
        waiting.push(card);
        continue;
      }
      page.push({ node, left: column * (geo.column + geo.gap), top, width: spanWidth(geo, span) });
      tops.fill(top + height, column, column + span);
    }
    // the wide cards that waited go under everything on the page while they fit, in their order; the cards that
    // still wait open the next page
    const next = [];
    let full = false;
    for (const card of waiting) {
      const top = Math.max(...tops) + geo.gap;
      if (wide(card) && !full && !ordered && top + card.height <= geo.height) {
        page.push({ node: card.node, left: 0, top, width: geo.width });
        tops.fill(top + card.height);
        continue;
      }
      const beside = wide(card) && !full && !ordered ? besideColumns(card, tops, geo) : null;
      if (beside) {
        page.push(beside);
        tops.fill(beside.top + card.heights[beside.span], beside.column, beside.column + beside.span);
        continue;
      }
      if (wide(card)) full = true;
      next.push(card);
    }
    pages.push(page);
    left = next;
  }
  return pages;
}

function place(page) {
  // cards that stay keep their element (a card still fading in is not restarted); the order is the reading order
  const keep = new Set(page.map(({ node }) => node));
  for (const child of [...pageBox.children]) if (!keep.has(child)) child.remove();
  let next = pageBox.firstChild;
  for (const { node, left, top, width } of page) {
    Object.assign(node.style, { left: `${left}px`, top: `${top}px`, width: `${width}px` });
    if (node === next) next = node.nextSibling;
    else pageBox.insertBefore(node, next);
  }
}

// the page the room's pause (the board's, or this projector's space bar) holds, kept in this tab (sessionStorage): a
// projector reloaded while held comes back to the page the room talks about, not to the first
const HELD_KEY = `doorbraak:held-page:${location.pathname}`;

function heldPage(view) {
  try {
    const kept = JSON.parse(sessionStorage.getItem(HELD_KEY) || "null");
    return kept?.view === view && Number.isInteger(kept.index) && kept.index > 0 ? kept.index : 0;
  } catch {
    return 0; // site data blocked or damaged: the first page
  }
}

function keepHeldPage() {
  try {
    if (pager.held) sessionStorage.setItem(HELD_KEY, JSON.stringify({ view: pager.view, index: pager.index }));
    else sessionStorage.removeItem(HELD_KEY);
  } catch {
    // site data blocked: a reload starts on the first page
  }
}

function summarise() {
  const parts = [...paged.summary];
  if (pager.pages.length > 1) parts.push(format(t.page, { page: pager.index + 1, pages: pager.pages.length }));
  document.getElementById("wall-count").textContent = paged.entries.length ? parts.join(" · ") : "";
  document.getElementById("wall-paused").hidden = !(pager.paused && pager.pages.length > 1);
  const sign = document.getElementById("wall-new");
  sign.hidden = !pager.arrived;
  sign.textContent = format(t.arrived, { n: pager.arrived });
}

function layoutWall() {
  if (!paged) {
    stopPaging();
    document.getElementById("wall-count").textContent = "";
    document.getElementById("wall-new").hidden = true;
    return;
  }
  // the ninth pile makes the wall crowded (smaller pile cards), not another wall: counted in the view, it sent the
  // room back to page 1 and dropped a pause
  const view = `${step().id}:${paged.className.replace(/ crowded\b/, "")}`;
  // the room's pause as last heard (app/stage/service.py set_paused): the projector follows each change of it; its
  // space bar sets it too, and holds the pages by itself while offline
  const held = Boolean(state.stage.paused);
  if (view !== pager.view) {
    // a pause holds a page while the room talks about it; the next step turns again (the server lifts the board's)
    Object.assign(pager, { view, index: held ? heldPage(view) : 0, arrived: 0, paused: held, held });
    stopPaging();
    repack = true;
  } else if (held !== pager.held) {
    Object.assign(pager, { paused: held, held });
    repack = true;
  }
  if (!repack) {
    summarise(); // a later page stays as it is; the count and the "+3 nieuw" sign still move
    return;
  }
  repack = false;
  wall.className = `${paged.className}${pager.turning ? " is-turning" : ""}`;
  if (!paged.entries.length) {
    pager.pages = [];
    stopPaging();
    wall.replaceChildren(el("p", { class: "waiting", text: paged.empty }));
    summarise();
    return;
  }
  if (wall.firstChild !== pageBox) wall.replaceChildren(pageBox, measureBox);
  const geo = geometry();
  const size = `${geo.width}:${geo.column}`;
  if (size !== pager.size) drawn.clear(); // another width: every card wraps differently
  pager.size = size;
  sizeCards(paged.entries, geo, paged.ordered);
  const keys = new Set(paged.entries.map((e) => e.key));
  for (const key of drawn.keys()) if (!keys.has(key)) drawn.delete(key);
  pager.pages = pack(paged.entries, geo, paged.ordered);
  pager.index = Math.min(pager.index, pager.pages.length - 1);
  keepHeldPage();
  // a card that waits on a later page will fade in with its page, not slide in again
  for (const [index, page] of pager.pages.entries()) {
    if (index !== pager.index) for (const { node } of page) node.classList.remove("fresh");
  }
  place(pager.pages[pager.index]);
  summarise();
  keepPaging();
}

function stopPaging() {
  clearTimeout(pager.timer);
  pager.timer = null;
  pager.turning = false;
  wall.classList.remove("is-turning");
  progress.classList.remove("is-running");
}

function showProgress(ms) {
  // a line that fills up until the page turns: the room sees that the wall moves on by itself, and when
  const bar = progress.firstElementChild;
  progress.classList.add("is-running");
  bar.style.transition = "none";
  bar.style.transform = "scaleX(0)";
  void bar.offsetWidth; // the empty line is drawn first, so the filling starts from zero
  bar.style.transition = `transform ${ms}ms linear`;
  bar.style.transform = "scaleX(1)";
}

function keepPaging() {
  if (pager.pages.length <= 1 || pager.paused) {
    stopPaging();
    return;
  }
  // a running clock is kept: a stream of answers must not hold a page up for ever
  if (pager.timer === null) {
    pager.timer = setTimeout(() => turn(1), dwell());
    showProgress(dwell());
  }
}

function togglePause() {
  // held at once, then told to the server (message `pause`), whose projector.changed the board shows; a projector
  // that is offline holds its pages by itself until the room's pause changes
  setPaused(!pager.paused);
  live.send({ type: "pause", paused: pager.paused });
}

function setPaused(paused) {
  pager.paused = paused;
  if (pager.paused) stopPaging();
  else keepPaging();
  summarise();
}

function turn(by) {
  stopPaging();
  if (!paged || pager.pages.length <= 1) return;
  // new answers wait on page 1: that is where the rotation goes next
  const index = pager.arrived ? 0 : (pager.index + by + pager.pages.length) % pager.pages.length;
  const swap = () => {
    wall.classList.remove("is-turning");
    Object.assign(pager, { index, arrived: 0, turning: false, timer: null });
    repack = true;
    render();
  };
  if (calm.matches) {
    swap();
    return;
  }
  pager.turning = true;
  wall.classList.add("is-turning");
  pager.timer = setTimeout(swap, FADE_MS);
}

function holds(frame) {
  // an answer for this wall while a later page is up: counted on the "+N nieuw" sign, shown on page 1
  return frame.kind === "answer.created" && paged !== null && pager.index > 0 && paged.steps.has(frame.data.step)
    && step().id === pager.view.split(":")[0];
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

function renderRoom() {
  for (const id of ["room-count", "foot-count"]) document.getElementById(id).textContent = state.room.count;
  const people = state.room.count === 1 ? t.people_one : t.people;
  for (const label of document.querySelectorAll(".people-label")) label.textContent = people;
  // the best represented organisations first, so those a cut leaves out are the smallest
  const names = Object.entries(state.room.organisations)
    .sort(([a, n], [b, m]) => m - n || a.localeCompare(b)).map(([name]) => name);
  document.getElementById("organisations").replaceChildren(...names.map((name) => el("li", { class: "chip", dir: "auto", text: name })));
}

function fitChips() {
  // more organisations than the lobby has room for: say how many are left out rather than cutting them silently
  const list = document.getElementById("organisations");
  const overflows = () => list.scrollHeight > list.clientHeight + 1;
  if (!overflows()) return;
  const more = el("li", { class: "chip chip-more" });
  list.append(more);
  const chips = [...list.children].slice(0, -1);
  let left = 0;
  while (chips.length && (left === 0 || overflows())) {
    chips.pop().remove();
    left += 1;
    more.textContent = format(t.more, { n: left });
  }
}

function drawClosed() {
  const answers = [...state.answers.values()].filter((a) => !a.hidden).length;
  document.getElementById("closed-summary").textContent = count(t, "summary", { answers, people: state.room.count, n: state.room.count });
  const followup = state.workshop.followup;
  document.getElementById("closed-followup").textContent = followup
    ? format(t.followup, { when: [new Date(followup.at).toLocaleString(dateLocale(config.lang),
      { weekday: "long", day: "numeric", month: "long", hour: "2-digit", minute: "2-digit" }), followup.place]
      .filter(Boolean).join(", ") })
    : "";
  show("closed");
  stopPaging();
}

function drawLobby() {
  show("lobby");
  stopPaging();
}

// a step drawn on the paged wall
const onWall = (draw) => (current) => {
  draw(current);
  show("round");
  layoutWall();
};

// the projector's view of each step type; the keys are app/steps.py's (tests/catalog/test_client_tables.py)
const DRAW = {
  lobby: drawLobby,
  open_text: onWall(renderRound),
  cluster: onWall(renderClusters),
  dot_vote: onWall(renderRanking),
  grade: onWall(renderTally),
  choice: onWall(renderTally),
  mosaic: onWall(renderMosaic),
  actions: onWall(renderActions),
  action_review: onWall(renderReview),
  close: drawClosed,
};

function render() {
  const current = step();
  // a closed workshop shows its end whatever step it stopped at
  const draw = state.workshop.closed ? DRAW.close : DRAW[current.type] || DRAW.lobby;
  draw(current);
  renderRoom();
  renderBingo(document.getElementById("bingo"), state);
  renderStage(state, config);
  if (!views.lobby.hidden) {
    fitChips();
    fitLobby();
  }
  shownIds = new Set([...state.answers.keys()]);
}

function onFrame(frame) {
  // a space bar the server refused (pressed too fast): the pages stand as the room's pause says
  if (frame.type === "error" && frame.request === "pause") {
    if (state.workshop) setPaused(pager.held);
    return;
  }
  const first = frame.type === "snapshot";
  if (!applyFrame(state, frame, { keepHidden: false })) return;
  if (first) shownIds = new Set(state.answers.keys()); // what was there on load is not "new"
  if (!first && holds(frame)) pager.arrived += 1;
  else repack = true;
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
  repack = true;
  if (state.workshop) scheduleRender();
});

document.addEventListener("keydown", (event) => {
  // a held key repeats: one page a press, not a spin through the wall
  if (views.round.hidden || event.altKey || event.ctrlKey || event.metaKey || event.repeat) return;
  if ((event.key === " " || event.key.toLowerCase() === "p") && pager.pages.length > 1) {
    event.preventDefault();
    togglePause();
    return;
  }
  const by = { ArrowRight: 1, PageDown: 1, ArrowLeft: -1, PageUp: -1 }[event.key];
  if (!by || pager.pages.length <= 1) return;
  event.preventDefault();
  turn(by);
});

const live = new Live(`/ws/projector/${config.token}`, {
  workshop: config.workshop,
  onFrame,
  onStatus: (status) => (status === "removed" ? showRemoved(t.removed) : showStatus(document.getElementById("status"), status, t)),
});
live.start();
