// The board's suggested piles: ask the server (the button or G), then accept, rename, trim or reject each pile.
// Nothing reaches the room until a pile is accepted; an accepted pile is an ordinary grouping (clusters.changed).
import { count, el, format } from "./live.js";
import { about, gist, usable } from "./board_keyboard.js";
import { tagSelect } from "./board_tags.js";

const SHOWN = 6;
const AHEAD_MS = 3000;

export function createSuggest({ state, t, config, send }) {
  const node = (id) => document.getElementById(id);
  const nodes = {
    ask: node("suggest"),
    panel: node("suggest-panel"),
    title: node("suggest-title"),
    list: node("suggest-list"),
    summary: node("suggest-summary"),
    note: node("suggest-note"),
    noteText: node("suggest-note-text"),
    undo: node("suggest-undo"),
    error: node("suggest-error"),
    acceptAll: node("suggest-accept-all"),
    rejectAll: node("suggest-reject-all"),
  };
  // the suggestions still open, as the facilitator left them (name, tags, members taken out)
  let piles = [];
  let asking = false;
  // whether the last ask proposed any pile: once they are all dealt with, the summary says so
  let offered = false;
  // the last accept, while it can be undone: what it laid down (the server's "undo"), and its proposals
  let lastAccept = null;
  // while an undo is on its way: the room hears of it (a clusters frame) before this board has the answer
  let undoing = false;
  // the panel is kept in this tab (sessionStorage; signing out clears it, static/js/sign_out.js), so a reload, or a
  // browser that crashed and brought its tabs back, finds the proposals as they were left; keyed by the workshop's
  // public id, never reused, where a deleted workshop's number may come back
  const storeKey = `doorbraak:suggestions:${config.workshop}`;
  let restored = false;

  const clusterPanelShown = () => !node("cluster-panel").hidden;
  const pileOf = (id) => state.clusters.find((c) => c.answers.includes(id));

  // why an obstacle of a suggestion can no longer be moved: hidden, deleted, or on a pile since; null if it can
  function staleness(pile, id) {
    const answer = state.answers.get(id);
    if (!answer) return t.suggest_gone;
    if (answer.hidden) return t.suggest_hidden;
    const on = pileOf(id);
    if (on && on.id !== pile.into) return format(t.suggest_moved, { name: on.name });
    return null;
  }

  // what the card lists: the suggested obstacles the facilitator has not dropped
  function listed(pile) {
    return pile.answer_ids.filter((id) => !pile.removed.has(id));
  }

  // whether the card shows a member with a word underlined that is still to be moved (not behind "Toon nog")
  function underlined(pile) {
    return shownMembers(pile).some((id) => String(id) in pile.akin && staleness(pile, id) === null);
  }

  function movable(pile) {
    return listed(pile).filter((id) => staleness(pile, id) === null);
  }

  function acceptable(pile) {
    const n = movable(pile).length;
    if (pile.into !== null) return n >= 1 && state.clusters.some((c) => c.id === pile.into);
    return n >= 2;
  }

  // an addition sends only what was changed on its card: the pile may have been renamed or tagged since the ask
  function body(pile) {
    const sent = (field) => (pile.into === null || pile.changed.has(field) ? pile[field] || null : null);
    return {
      key: pile.key, answer_ids: movable(pile), into: pile.into,
      name: sent("name"), tension: sent("tension"), theme: sent("theme"),
    };
  }

  const capitalised = (text) => text.charAt(0).toUpperCase() + text.slice(1);

  // a text with the words its pile shares marked, or else its word nearest to them in meaning (akin);
  // marks are [start, end) in the string's own (UTF-16) units
  function marked(text, marks, akin) {
    const parts = [];
    let at = 0;
    const spans = marks && marks.length ? marks : akin || [];
    const attributes = spans === marks ? {} : { class: "akin", title: capitalised(t.suggest_akin) };
    for (const [start, end] of spans) {
      if (start > at) parts.push(text.slice(at, start));
      parts.push(el("mark", { ...attributes, text: text.slice(start, end) }));
      at = end;
    }
    if (at < text.length) parts.push(text.slice(at));
    return el("span", { class: "text" }, ...parts);
  }

  function pileTag(label, labels, pile, field) {
    return tagSelect(t, label, labels, pile[field], (value) => {
      pile[field] = value;
      pile.changed.add(field);
      save();
    }, pile.name);
  }

  function memberItem(pile, id) {
    const answer = state.answers.get(id);
    const text = answer ? answer.text : "";
    const drop = el("button", { type: "button", class: "link small", text: t.suggest_drop, "aria-label": `${t.suggest_drop}: ${text}` });
    drop.addEventListener("click", () => {
      // the focus goes on to the obstacle that takes this one's place on the card
      const place = listed(pile).indexOf(id);
      pile.removed.add(id);
      build();
      focusOnCard(pile.key, (cardNode) => nearestOf(cardNode.querySelectorAll(".suggest-member button"), place));
    });
    return el("li", { class: "suggest-member", "data-id": id },
      marked(text, pile.marks[String(id)], pile.akin && pile.akin[String(id)]),
      el("span", { class: "stale-note small", "data-slot": "stale" }),
      drop);
  }

  // a long pile shows its first obstacles; the rest are a press away, so 200 obstacles stay readable
  function shownMembers(pile) {
    const ids = listed(pile);
    return pile.expanded || ids.length <= SHOWN ? ids : ids.slice(0, SHOWN - 1);
  }

  function memberList(pile) {
    const ids = listed(pile);
    const shown = shownMembers(pile);
    const list = el("ul", { class: "member-list" }, ...shown.map((id) => memberItem(pile, id)));
    if (shown.length === ids.length) return list;
    const more = el("button", { type: "button", class: "link small suggest-more", text: format(t.suggest_more, { n: ids.length - shown.length }) });
    more.addEventListener("click", () => {
      pile.expanded = true;
      build();
      // on to the first obstacle that was behind the button
      focusOnCard(pile.key, (cardNode) => nearestOf(cardNode.querySelectorAll(".suggest-member button"), shown.length));
    });
    return el("div", { class: "suggest-members" }, list, more);
  }

  function card(pile) {
    const existing = pile.into !== null ? state.clusters.find((c) => c.id === pile.into) : null;
    const name = el("textarea", { class: "cluster-name", "aria-label": t.rename, maxlength: "2000", rows: "1" });
    name.value = pile.name;
    name.addEventListener("input", () => {
      pile.name = name.value;
      pile.changed.add("name");
      accept.setAttribute("aria-label", about(t.suggest_accept, name.value));
      reject.setAttribute("aria-label", about(t.suggest_reject, name.value));
      cardNode.setAttribute("aria-label", cardLabel(pile));
      save();
    });
    name.addEventListener("keydown", (event) => {
      if (event.key === "Enter") event.preventDefault(); // a name is one line
    });
    const accept = el("button", { type: "button", class: "button primary small-button", text: t.suggest_accept,
      "aria-label": about(t.suggest_accept, pile.name) });
    accept.addEventListener("click", () => submit([pile]));
    const reject = el("button", { type: "button", class: "button small-button", text: t.suggest_reject,
      "aria-label": about(t.suggest_reject, pile.name) });
    reject.addEventListener("click", () => {
      const place = piles.indexOf(pile);
      piles = piles.filter((p) => p !== pile);
      build();
      focusAfterCard(place, "reject");
    });
    const badges = [];
    if (pile.duplicates) badges.push(el("span", { class: "badge live", text: t.suggest_duplicates }));
    if (pile.doubtful) badges.push(el("span", { class: "badge doubtful", text: t.suggest_doubtful }));
    if (pile.into !== null) badges.push(el("span", { class: "badge", text: t.suggest_adds }));
    const shared = pile.shared.length
      ? el("p", { class: "suggest-why small" }, `${t.suggest_shared} `, ...pile.shared.map((word) => el("mark", { text: word })))
      : null;
    // members that belong by what they mean have a word underlined: the card says what that means, on a phone too,
    // while such a member is in sight (refresh)
    const akin = pile.akin && Object.keys(pile.akin).length
      ? el("p", { class: "akin-note muted small" }, el("mark", { class: "akin", text: t.suggest_akin_mark }), `: ${t.suggest_akin}`)
      : null;
    // a pile whose members are little alike mostly mixes obstacles kept apart: the card says so, on a phone too
    const doubt = pile.doubtful ? el("p", { class: "doubt-note small", text: capitalised(t.suggest_doubtful_why) }) : null;
    const onPile = existing ? existing.answers.map((id) => state.answers.get(id)).filter(Boolean) : [];
    // the pile's own obstacles, greyed, captioned apart from what the suggestion adds to them
    const pileItself = onPile.length ? [
      el("p", { class: "muted small kept-head", text: format(t.suggest_kept, { name: existing.name }) }),
      el("ul", { class: "member-list kept" }, ...onPile.map((a) => el("li", { class: "suggest-member is-kept" }, el("span", { class: "text", text: a.text })))),
      el("p", { class: "muted small kept-head", text: t.suggest_added }),
    ] : [];
    const cardNode = el("article", { class: "cluster-card suggest-card", "data-key": pile.key, "aria-label": cardLabel(pile) },
      el("header", { class: "cluster-head" }, name, ...badges),
      doubt,
      shared,
      akin,
      el("div", { class: "cluster-tags" },
        pileTag(t.tension, config.results.tensions, pile, "tension"),
        pileTag(t.theme, config.results.themes, pile, "theme")),
      ...pileItself,
      memberList(pile),
      el("p", { class: "muted small", "data-slot": "hint" }),
      el("div", { class: "row-buttons" }, accept, reject));
    return cardNode;
  }

  // the card's name for a listener: which pile, and how many obstacles it lists
  function cardLabel(pile) {
    return format(t.suggest_label, { name: gist(pile.name), size: count(t, "pile_size", { n: listed(pile).length }) });
  }

  // ---- the keyboard's focus: a card's button that goes hands the focus on, never back to the top of the page

  function nearestOf(list, index) {
    const nodes = [...list];
    const from = Math.min(index, nodes.length - 1);
    for (let i = from; i >= 0 && i < nodes.length; i += 1) if (usable(nodes[i])) return nodes[i];
    for (let i = from - 1; i >= 0; i -= 1) if (usable(nodes[i])) return nodes[i];
    return null;
  }

  function cardNodes() {
    return [...nodes.list.querySelectorAll(".suggest-card")];
  }

  // the card's own control the pick chooses, or else its accept or reject button
  function focusOnCard(key, pickControl) {
    const cardNode = cardNodes().find((c) => c.dataset.key === key);
    if (!cardNode) return focusPanel();
    const buttons = cardNode.querySelectorAll(".row-buttons .button");
    (pickControl(cardNode) || nearestOf(buttons, 0)).focus();
  }

  // a card left the panel: on to the card that took its place (or the last), the same button where it can be
  function focusAfterCard(index, which) {
    const cards = cardNodes();
    if (!cards.length) {
      if (which === "accept" && usable(nodes.undo)) nodes.undo.focus();
      else focusPanel();
      return;
    }
    const buttons = cards[Math.min(index, cards.length - 1)].querySelectorAll(".row-buttons .button");
    nearestOf(buttons, which === "accept" ? 0 : 1).focus();
  }

  function focusPanel() {
    if (usable(nodes.title)) nodes.title.focus();
  }

  // where Escape or "Alles afwijzen" hands the focus back: what opened the panel, else its button
  let opener = null;

  function close() {
    nodes.panel.dataset.open = "false";
    nodes.panel.hidden = true;
    save();
    (usable(opener) ? opener : nodes.ask).focus();
  }

  nodes.panel.addEventListener("keydown", (event) => {
    if (event.key !== "Escape" || event.defaultPrevented) return;
    event.preventDefault();
    event.stopPropagation(); // the board's own Escape (stop the spotlight) is not meant
    close();
  });

  // rebuild the cards: after asking, accepting, rejecting or trimming (not on every frame: a name being typed stays)
  function build() {
    nodes.list.replaceChildren(...piles.map(card));
    refresh();
    save();
  }

  function save() {
    const kept = piles.map((pile) => ({ ...pile, removed: [...pile.removed], changed: [...pile.changed] }));
    // while an ask is on its way the summary says so: a reload then shows none rather than a wait that never ends
    const summary = asking ? "" : nodes.summary.textContent;
    const panel = { piles: kept, offered, open: nodes.panel.dataset.open, summary };
    try {
      sessionStorage.setItem(storeKey, JSON.stringify(panel));
    } catch {
      // storage full or refused: only a reload's restore is lost
    }
  }

  // once the room is known (the cards show its obstacles' texts), the panel as this tab left it
  function restore() {
    restored = true;
    let kept = null;
    try {
      kept = JSON.parse(sessionStorage.getItem(storeKey) || "null");
    } catch {
      kept = null;
    }
    if (!kept || !Array.isArray(kept.piles)) return false;
    piles = kept.piles.map((pile) => ({ ...pile, removed: new Set(pile.removed), changed: new Set(pile.changed) }));
    offered = Boolean(kept.offered);
    nodes.panel.dataset.open = kept.open === "true" ? "true" : "false";
    nodes.summary.textContent = kept.summary || "";
    build();
    return true;
  }

  // what the room changed since the suggestion: obstacles no longer loose are struck through and left out
  // with a sentence model, the server reads the obstacles while the room groups, so that an ask finds them read:
  // asked a few seconds after the grouping step shows and after obstacles arrive, quietly (an ask says what fails)
  let aheadTimer = null;
  let aheadCount = -1;
  function readAhead() {
    if (!config.reads_ahead || !clusterPanelShown() || aheadTimer || state.answers.size === aheadCount) return;
    aheadTimer = setTimeout(() => {
      aheadTimer = null;
      aheadCount = state.answers.size;
      send("/suggestions/ahead", {}, null, true);
    }, AHEAD_MS);
  }

  function refresh() {
    if (!restored && state.workshop && restore()) return;
    readAhead();
    // once the piles changed after the accept, the server would refuse its undo: the button goes
    if (lastAccept && !undoing && (state.clustersSeq ?? 0) > lastAccept.undo.seq) showNote(nodes.noteText.textContent);
    nodes.panel.hidden = !clusterPanelShown() || nodes.panel.dataset.open !== "true";
    for (const cardNode of nodes.list.querySelectorAll(".suggest-card")) {
      const pile = piles.find((p) => p.key === cardNode.dataset.key);
      if (!pile) continue;
      for (const item of cardNode.querySelectorAll(".suggest-member[data-id]")) {
        const why = staleness(pile, Number(item.dataset.id));
        item.classList.toggle("is-stale", why !== null);
        item.querySelector('[data-slot="stale"]').textContent = why || "";
      }
      const akinNote = cardNode.querySelector(".akin-note");
      if (akinNote) akinNote.hidden = !underlined(pile);
      const ok = acceptable(pile);
      cardNode.querySelector(".button.primary").disabled = !ok;
      cardNode.querySelector('[data-slot="hint"]').textContent = ok ? "" : (pile.into !== null ? t.suggest_nothing_left : t.suggest_too_few);
    }
    const open = piles.filter(acceptable).length;
    nodes.acceptAll.disabled = open === 0;
    nodes.acceptAll.textContent = format(t.suggest_accept_all, { n: open });
    nodes.acceptAll.hidden = !piles.length;
    nodes.rejectAll.hidden = !piles.length;
    // "all dealt with" only once proposals were shown; an ask that proposed none keeps saying why
    if (!piles.length && offered) nodes.summary.textContent = t.suggest_none_left;
  }

  // asking again as more obstacles arrive keeps what was done on a card the new answer still has (the same key):
  // its name, its tags, the obstacles taken out of it and whether it was opened out
  function carriedOver(fresh, old) {
    if (!old) return fresh;
    for (const field of old.changed) fresh[field] = old[field];
    fresh.changed = new Set([...fresh.changed, ...old.changed]);
    fresh.removed = new Set([...old.removed].filter((id) => fresh.answer_ids.includes(id)));
    fresh.expanded = old.expanded;
    return fresh;
  }

  async function ask() {
    if (asking || !clusterPanelShown()) return;
    const from = document.activeElement;
    if (!nodes.panel.contains(from)) opener = from && from !== document.body ? from : nodes.ask;
    asking = true;
    nodes.ask.disabled = true;
    nodes.panel.dataset.open = "true";
    nodes.panel.hidden = false;
    showNote("");
    nodes.summary.textContent = t.suggest_busy;
    const result = await send("/suggestions", {}, nodes.error);
    asking = false;
    nodes.ask.disabled = false;
    if (!result) {
      nodes.summary.textContent = "";
      nodes.ask.focus(); // disabled while asking, it had lost the focus
      return;
    }
    // an addition to a pile starts from that pile's own name and tags: accepting it must not change them unasked
    const before = new Map(piles.map((pile) => [pile.key, pile]));
    piles = result.piles.map((pile) => {
      const existing = pile.into !== null ? state.clusters.find((c) => c.id === pile.into) || {} : {};
      const fresh = {
        ...pile,
        name: pile.into !== null ? existing.name || "" : pile.name,
        tension: existing.tension || pile.tension,
        theme: existing.theme || pile.theme,
        removed: new Set(),
        // a tag the pile lacks and the suggestion proposes is sent as if typed on the card
        changed: new Set(["tension", "theme"].filter((field) => pile.into !== null && !existing[field] && pile[field])),
      };
      return carriedOver(fresh, before.get(pile.key));
    });
    // before "Alles overnemen", the summary says how many proposals the matcher is unsure of
    const doubtful = result.piles.filter((pile) => pile.doubtful).length;
    offered = result.piles.length > 0;
    nodes.summary.textContent = offered
      ? [format(t.suggest_summary, {
        piles: count(t, "suggest_piles", { n: result.piles.length }),
        loose: count(t, "suggest_loose", { n: result.loose }),
      }), doubtful ? count(t, "suggest_doubtful_count", { n: doubtful }) : ""].filter(Boolean).join(" ")
      : (result.considered ? count(t, "suggest_nothing", { n: result.considered }) : t.suggest_no_loose);
    build();
    // into the panel: its heading, with the summary just under it and the first pile a few Tabs on
    focusPanel();
  }

  function skippedNote(result) {
    const skippedFor = (reason) => result.skipped.filter((s) => s.reason === reason).reduce((n, s) => n + s.answer_ids.length, 0);
    const parts = [];
    for (const reason of ["hidden", "gone", "moved", "too_few", "pile_gone"]) {
      const n = skippedFor(reason);
      if (n) parts.push(count(t, `suggest_skipped_${reason}`, { n }));
    }
    return parts.length ? `${t.suggest_skipped} ${parts.join("; ")}.` : "";
  }

  async function submit(chosen) {
    const ready = chosen.filter(acceptable);
    if (!ready.length) return;
    for (const button of nodes.panel.querySelectorAll("button")) button.disabled = true;
    let result = null;
    try {
      result = await send("/suggestions/accept", { piles: ready.map(body) }, nodes.error);
    } finally {
      // a network that failed leaves the panel usable (send has said what went wrong)
      for (const button of nodes.panel.querySelectorAll("button")) button.disabled = false;
    }
    if (!result) {
      refresh();
      if (document.activeElement === document.body) focusPanel(); // its button was off while it went
      return;
    }
    const place = chosen.length === 1 ? piles.indexOf(chosen[0]) : 0;
    const done = new Set([...result.accepted, ...result.skipped.map((s) => s.key)]);
    const accepted = new Set(result.accepted);
    lastAccept = { undo: result.undo, piles: piles.filter((pile) => accepted.has(pile.key)) };
    piles = piles.filter((pile) => !done.has(pile.key));
    showNote([count(t, "suggest_made", { n: result.accepted.length }), skippedNote(result)].filter(Boolean).join(" "), true);
    build();
    if (chosen.length === 1) focusAfterCard(place, "accept");
    else if (usable(nodes.undo)) nodes.undo.focus();
    else focusPanel();
  }

  // the note under the panel's head; with the undo button while the last accept can still be undone
  function showNote(text, undoable = false) {
    nodes.noteText.textContent = text;
    nodes.note.hidden = !text;
    nodes.undo.hidden = !undoable;
    if (!undoable) lastAccept = null;
  }

  // the last accept undone: its obstacles loose again, and its proposals back on the panel to accept or reject
  async function undo() {
    if (!lastAccept) return;
    const taken = lastAccept;
    for (const button of nodes.panel.querySelectorAll("button")) button.disabled = true;
    undoing = true;
    let result = null;
    try {
      result = await send("/suggestions/undo", taken.undo, nodes.error);
    } finally {
      undoing = false;
      for (const button of nodes.panel.querySelectorAll("button")) button.disabled = false;
    }
    if (lastAccept !== taken) return; // another accept came meanwhile: its own undo stays
    if (!result) {
      showNote(nodes.noteText.textContent); // refused (the piles changed since): the error says why
      refresh();
      focusPanel();
      return;
    }
    const open = new Set(piles.map((pile) => pile.key));
    piles = [...taken.piles.filter((pile) => !open.has(pile.key)), ...piles];
    nodes.panel.dataset.open = "true";
    nodes.summary.textContent = count(t, "suggest_open", { n: piles.length });
    showNote(count(t, "suggest_undone", { n: result.loosened }));
    build();
    focusAfterCard(0, "accept"); // the first of the piles it brought back
  }

  nodes.ask.addEventListener("click", ask);
  nodes.acceptAll.addEventListener("click", () => submit(piles));
  nodes.undo.addEventListener("click", undo);
  nodes.rejectAll.addEventListener("click", () => {
    piles = [];
    build();
    close();
  });

  return {
    render: refresh,
    onKey(event) {
      if (event.key.toLowerCase() !== "g" || !clusterPanelShown()) return false;
      event.preventDefault();
      ask();
      return true;
    },
  };
}
