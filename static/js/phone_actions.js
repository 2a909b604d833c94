// The phone's list of agreed actions: the participant's own first, each group folded after its first few and
// searchable, a hand raised in one tap. A hand tapped without a connection is kept on the phone and sent when the
// connection is back.
import { count, el, fewNames, format, formatNodes, longDay, nameList } from "./live.js";
import { searchWords } from "./organisation_search.js";

// a room agrees thirty to sixty actions: a phone showed every one of them in full, 7,700 px of page to scroll past.
// Each group shows its first few, the rest behind "+n meer": the participant's own a few more, they are what the
// phone is for, but the organisation of a big partner (the municipality) may own a third of a room's actions
const SHOWN = { mine: 8, others: 5 };
const SEARCH_FROM = 8;

// "Súdwest-Fryslân" is found by typing "sudwest": compare without accents and case
function folded(text) {
  return (text || "").normalize("NFD").replace(/\p{M}/gu, "").toLowerCase().trim();
}

// a name as the network's list tells names apart: case, accents, punctuation and spacing do not count
function nameKey(name) {
  return searchWords(name || "").join(" ");
}

/**
 * Whether an organisation (its name, and its id in the network's list where it has one) is the participant's own:
 * the same id (the server resolved each typed name, aliases included, to one organisation of the list, and a rename
 * since keeps it), or the same whole name but for case, accents, punctuation and spacing ("gemeente sudwest-fryslan"
 * typed past the suggestion). Never a part of a name: "Politie" is not "Politie Academie" unless the office made the
 * one a name of the other. An anonymous participant has no organisation.
 */
export function ofOrganisation(me, name, id) {
  // the office took the participant's claim back: the server takes no report from them as the owner's
  if (!me || me.organisation_taken_back) return false;
  if (me.organisation_id != null && me.organisation_id === id) return true;
  const mine = nameKey(me.organisation);
  return mine !== "" && nameKey(name) === mine;
}

/**
 * Whether the participant reports on an action as its owner: the server's rule (app/actions/reporting.py, owns),
 * which refuses any other's report. Where both have an id, the ids decide: a name typed past the suggestion without
 * its accents is another organisation there until the office merges the two, so marking its actions "yours" would
 * lead to a refusal.
 */
export function ownerOf(me, name, id) {
  if (me?.organisation_taken_back) return false;
  if (me?.organisation_id != null && id != null) return me.organisation_id === id;
  return ofOrganisation(me, name, id);
}

/**
 * Whether an action (or a look-back item) that named the participant's organisation by id, as the phone had it, now
 * names it no more. The office merged that organisation into another (the server moved the participant along, but a
 * phone hears of it only in its next snapshot), or the action changed hands: either way the phone asks for a fresh
 * snapshot, so what it marks as its own follows the server again.
 */
export function leftMine(me, before, after) {
  const mine = me?.organisation_id;
  const names = (action) => action.owner_id === mine || (action.partner_ids || []).includes(mine);
  return mine != null && before != null && names(before) && !names(after);
}

export function createActionList({ state, t, lang, store, send, notice, withdraw, isOnline }) {
  // action id -> the hand this phone wants (true up, false down), until acknowledged
  const pending = store.pending("hands", letGo, takeBack);
  const hands = pending.value;
  const openDetails = new Set();
  const allNames = new Set(); // the actions whose whole list of volunteers this phone opened
  // where an action sits is settled when the phone first lists it: a hand raised in "all the others" does not make
  // an action jump out from under the finger into "for you" (a reload sorts it there)
  const placed = new Map();
  const openGroups = new Set(); // the groups whose "+n meer" is open, kept across the room's redraws
  let query = "";

  function saveHands() {
    pending.save(Object.keys(hands).length ? hands : null);
  }

  function joinedOnServer(action) {
    return action.volunteers.some((v) => v.participant === state.participant);
  }

  function joined(action) {
    return action.id in hands ? hands[action.id] : joinedOnServer(action);
  }

  function ownedByMe(action) {
    return ofOrganisation(state.me, action.owner, action.owner_id ?? null);
  }

  function ofMyOrganisation(action) {
    const partnerIds = action.partner_ids || [];
    return ownedByMe(action) || action.partners.some((name, i) => ofOrganisation(state.me, name, partnerIds[i] ?? null));
  }

  function isForMe(action) {
    if (!placed.has(action.id)) placed.set(action.id, ofMyOrganisation(action) || joinedOnServer(action));
    return placed.get(action.id) || ofMyOrganisation(action);
  }

  // spaces alone are no search: the list stays folded
  function searching() {
    return query.trim() !== "";
  }

  function matches(action) {
    if (!searching()) return true;
    const words = folded(query.trim()).split(/\s+/);
    const haystack = folded([action.title, action.owner, ...action.partners, action.description].join(" "));
    return words.every((word) => haystack.includes(word));
  }

  function tap(action) {
    hands[action.id] = !joined(action);
    saveHands();
    sendHand(action.id);
    render();
  }

  function sendHand(id) {
    send({ type: "volunteer", action_id: Number(id), joining: hands[id] });
  }

  function handButton(action) {
    const up = joined(action);
    const waiting = action.id in hands;
    const label = up ? t.joined : t.join;
    const button = el("button", {
      type: "button", class: `button hand${up ? " primary" : ""}${waiting ? " waiting" : ""}`,
      "aria-pressed": String(up), text: waiting ? label.replace(" ✓", "") : label,
    });
    if (waiting) button.append(el("span", { class: "hand-wait", text: ` ${isOnline() ? t.sending : t.waiting}` }));
    button.addEventListener("click", () => tap(action));
    return button;
  }

  function details(action) {
    // every name in a <bdi> of its own (live.js nameList)
    const lines = [formatNodes(t.owner, "owner", nameList([action.owner]))];
    if (action.partners.length) lines.push(formatNodes(t.partners, "names", nameList(action.partners, ", ")));
    if (action.due_on) lines.push([format(t.due, { date: longDay(action.due_on, lang) })]);
    if (action.contact) lines.push(formatNodes(t.contact, "name", nameList([action.contact])));
    const names = action.volunteers.map((v) => v.name || v.organisation).filter(Boolean);
    // a few names and "en 12 anderen", which opens the whole list
    const { shown, rest } = allNames.has(action.id) ? { shown: names, rest: null } : fewNames(names, t.others);
    if (names.length) {
      const others = rest ? [" ", el("button", { type: "button", class: "link others", text: rest })] : [];
      others[1]?.addEventListener("click", () => {
        allNames.add(action.id);
        render();
      });
      lines.push(formatNodes(t.who_joined, "names", [...nameList(shown, ", "), ...others]));
    }
    const box = el("div", { class: "action-details small" }, ...lines.map((nodes) => el("p", {}, ...nodes)));
    if (action.description) box.append(el("p", { class: "muted", text: action.description }));
    return box;
  }

  function actionRow(action) {
    const up = joined(action);
    const open = openDetails.has(action.id);
    // the participant's own organisation is named short: in "for you" it would fill each action with one long name
    const owned = ownedByMe(action);
    const meta = [owned ? t.yours : action.owner];
    // why an action of another owner is "for you": the participant's organisation shares it
    if (!owned && ofMyOrganisation(action)) meta.push(t.with_yours);
    if (action.volunteers.length) meta.push(count(t, "volunteers", { n: action.volunteers.length }));
    const toggle = el("button", { type: "button", class: "action-toggle muted small", "aria-expanded": String(open) },
      el("span", { class: "action-meta" }, el("span", { class: "action-owner" }, ...nameList(meta.slice(0, 1), "")),
        ...(meta.length > 1 ? [el("span", {}, el("span", { class: "sep" }, " · "), ...nameList(meta.slice(1), " · "))] : [])),
      el("span", { class: "chevron", "aria-hidden": "true" }));
    toggle.addEventListener("click", () => {
      if (openDetails.has(action.id)) openDetails.delete(action.id);
      else openDetails.add(action.id);
      render();
    });
    const item = el("li", { class: `action-card hand-row${up ? " joined" : ""}`, "data-action": String(action.id) },
      el("strong", { class: "action-title", dir: "auto", text: action.title }),
      el("div", { class: "hand-foot" }, toggle, handButton(action)));
    if (open) item.append(details(action));
    return item;
  }

  // a group's heading and first actions, the rest folded behind "+n meer" (all of them while searching)
  function listGroup(key, title, actions) {
    const shown = searching() ? actions : actions.slice(0, SHOWN[key]);
    const parts = [
      el("h2", { class: "action-group", text: `${title} · ${actions.length}` }),
      el("ul", { class: "action-list" }, ...shown.map(actionRow)),
    ];
    const rest = actions.slice(shown.length);
    if (rest.length) {
      const more = el("details", { class: "pile-more action-more", "data-group": key },
        el("summary", { class: "small", text: format(t.more, { n: rest.length }) }), el("ul", { class: "action-list" }, ...rest.map(actionRow)));
      more.open = openGroups.has(key);
      more.addEventListener("toggle", () => (more.open ? openGroups.add(key) : openGroups.delete(key)));
      parts.push(more);
    }
    return parts;
  }

  function render() {
    const stepNode = document.getElementById("step");
    const box = stepNode.querySelector('[data-slot="actions"]');
    if (!box) return;
    const active = box.contains(document.activeElement) ? document.activeElement : null;
    const focused = active?.closest("li[data-action]")?.dataset.action;
    const part = ["action-toggle", "others"].find((name) => active?.classList.contains(name));
    const search = stepNode.querySelector('[data-slot="search"]');
    const searchBox = stepNode.querySelector('[data-slot="search-box"]');
    const all = state.actions;
    searchBox.hidden = all.length < SEARCH_FROM && !query;
    if (search.value !== query) search.value = query;
    const mineCount = all.filter(joined).length;
    const summary = [count(t, "actions_count", { n: all.length })];
    if (mineCount) summary.push(count(t, "joined_count", { n: mineCount }));
    // a region read out as it changes: written when it says something new, not at each of the room's redraws
    const said = stepNode.querySelector('[data-slot="summary"]');
    const text = all.length ? summary.join(" · ") : "";
    if (said.textContent !== text) said.textContent = text;
    if (!all.length) {
      box.replaceChildren(el("p", { class: "muted", text: t.no_actions }));
      return;
    }
    const found = all.filter(matches);
    const forMe = found.filter(isForMe);
    const others = found.filter((action) => !isForMe(action));
    const parts = [];
    if (!found.length) parts.push(el("p", { class: "muted", text: format(t.no_match, { query }) }));
    if (forMe.length) parts.push(...listGroup("mine", t.for_you, forMe));
    if (others.length) parts.push(...listGroup("others", forMe.length || searching() ? t.the_others : t.all_actions, others));
    box.replaceChildren(...parts);
    // the room's updates redraw the list: a keyboard's place on a hand or on details stays where it was
    // "en 12 anderen", once opened, hands the focus to its action's details button
    const focusedRow = focused && box.querySelector(`li[data-action="${focused}"]`);
    if (focusedRow) (focusedRow.querySelector(part ? `.${part}` : ".hand") || focusedRow.querySelector(".action-toggle"))?.focus();
  }

  // the search box is drawn with the step, not with the list: typing in it survives the room's updates
  function bind(stepNode) {
    const search = stepNode.querySelector('[data-slot="search"]');
    if (!search) return;
    search.value = query;
    search.addEventListener("input", () => {
      query = search.value;
      render();
    });
  }

  // a hand the server stored (or one it says was already so) is no longer waiting
  function acknowledged(frame) {
    if (hands[frame.action_id] === frame.joining) delete hands[frame.action_id];
    saveHands();
    render();
  }

  // a refused hand is not kept for a resend: the phone shows what is stored, and says why in words
  function refused(frame) {
    const id = frame.action_id;
    const action = state.actions.find((a) => a.id === id);
    if (id !== undefined) delete hands[id];
    saveHands();
    notice(action ? format(t.hand_refused, { title: action.title, message: frame.message }) : frame.message);
    render();
  }

  // a tab opened since took this one's waiting hands: they are its to send. Offline, this tab shows the room as it
  // last heard it, and says so
  function letGo() {
    const waited = Object.keys(hands).length > 0;
    for (const id of Object.keys(hands)) delete hands[id];
    if (waited && !isOnline()) notice(t.taken_over);
    render();
  }

  // that tab closed before it could send them: they are this tab's again, shown waiting and sent from here
  function takeBack(value) {
    for (const id of Object.keys(hands)) delete hands[id];
    Object.assign(hands, value);
    withdraw(t.taken_over);
    render();
    resend();
  }

  // whose actions are the participant's changed (the office took back their organisation, or gave it back): the
  // next drawing places every action anew, as a reload would
  function regroup() {
    placed.clear();
  }

  function resend() {
    if (pending.taken()) return;
    for (const id of Object.keys(hands)) sendHand(id);
  }

  return {
    render, bind, acknowledged, refused, resend, regroup,
    joinedAny: () => state.actions.some(joined),
  };
}
