// What the board and the projector know of a room, and how each live frame changes it.

export function newRoom() {
  return {
    workshop: null, answers: new Map(), room: { count: 0, organisations: {} }, clusters: [], actions: [],
    tallies: {}, review: { workshop: null, items: [] }, mosaic: null,
    timer: { state: "stopped" }, stage: { view: "wall", spotlight: null }, clockOffset: 0,
  };
}

// an action or a reviewed item, new or changed
export function saveById(items, item) {
  const index = items.findIndex((a) => a.id === item.id);
  if (index >= 0) items[index] = item;
  else items.push(item);
}

// The office renamed organisations or merged some into others (an organisation.renamed event's list): the names and
// ids a screen keeps follow, and an action that now names one organisation twice keeps it once, as the merge does.
export function renamer(renamed) {
  const names = new Map(renamed.map((r) => [r.was, r.name]));
  const ids = new Map(renamed.map((r) => [r.was_id, r.id]));
  const name = (text) => names.get(text) ?? text;
  const id = (value) => (ids.has(value) ? ids.get(value) : value);
  const action = (item) => {
    const ownerId = id(item.owner_id ?? null);
    const kept = new Set([ownerId]);
    const partners = [];
    const partnerIds = [];
    item.partners.forEach((partner, i) => {
      const partnerId = id(item.partner_ids?.[i] ?? null);
      if (partnerId !== null && kept.has(partnerId)) return;
      kept.add(partnerId);
      partners.push(name(partner));
      partnerIds.push(partnerId);
    });
    const volunteers = item.volunteers.map((v) => ({ ...v, organisation: name(v.organisation) }));
    return { ...item, owner: name(item.owner), owner_id: ownerId, partners, partner_ids: partnerIds, volunteers };
  };
  return { name, id, action };
}

// piles as every screen and export ranks them: most votes first, then the older pile; the same rule as the server's
// clusters.service.pile_rank (tests/e2e/test_pile_rank.py runs both on the same piles)
export function rankPiles(piles) {
  return piles.sort((a, b) => b.votes - a.votes || a.id - b.id);
}

// Apply a snapshot or event; returns false for frames that change nothing here.
// The board keeps hidden answers (marked); the projector drops them.
export function applyFrame(state, frame, { keepHidden }) {
  if (frame.type === "snapshot") {
    state.workshop = frame.workshop;
    state.room = frame.room;
    state.answers = new Map(frame.answers.map((answer) => [answer.id, answer]));
    state.clusters = frame.clusters;
    state.clustersSeq = frame.seq;
    state.actions = frame.actions;
    state.bingo = frame.bingo || { on: false, words: {} };
    state.tallies = frame.tallies || {};
    state.review = frame.review || { workshop: null, items: [] };
    state.mosaic = frame.mosaic || null;
    state.timer = frame.timer || { state: "stopped" };
    state.stage = frame.stage || { view: "wall", spotlight: null };
    if (frame.now) state.clockOffset = frame.now - Date.now();
    return true;
  }
  // a replay ends with the server's clock: every reconnect gives the countdown a fresh offset
  if (frame.type === "synced") {
    if (frame.now) state.clockOffset = frame.now - Date.now();
    return true;
  }
  if (frame.type !== "event") return false;
  const data = frame.data;
  switch (frame.kind) {
    case "step.changed":
      state.workshop.step_index = data.step_index;
      state.workshop.closed = data.closed;
      if (data.mosaic) state.mosaic = data.mosaic;
      if (data.timer) state.timer = data.timer;
      break;
    case "timer.changed":
      state.timer = data;
      break;
    case "projector.changed":
      state.stage = data;
      break;
    case "response.tally":
      state.tallies[data.step] = data.tally;
      break;
    case "review.changed":
      state.review = data;
      state.workshop.review_of = data.workshop ? data.workshop.id : null;
      break;
    case "review.saved":
      saveById(state.review.items, data);
      break;
    case "answer.created":
    case "answer.shown":
      // only the board is sent answers held for approval; a screen that drops hidden ones never keeps one
      if (data.hidden && !keepHidden) break;
      state.answers.set(data.id, data);
      break;
    case "answer.hidden":
      if (keepHidden) state.answers.set(data.id, data);
      else state.answers.delete(data.id);
      break;
    case "clusters.changed":
      state.clusters = data.clusters;
      state.clustersSeq = frame.seq;
      break;
    case "votes.changed":
      for (const cluster of state.clusters) cluster.votes = data.votes[cluster.id] || 0;
      rankPiles(state.clusters);
      break;
    case "action.saved":
      saveById(state.actions, data);
      break;
    case "action.deleted":
      state.actions = state.actions.filter((a) => a.id !== data.id);
      break;
    case "followup.set":
      state.workshop.followup = data.followup;
      break;
    case "workshop.changed":
      Object.assign(state.workshop, data);
      break;
    case "bingo.changed":
      state.bingo = data;
      break;
    case "organisation.renamed": {
      const rename = renamer(data.renamed);
      for (const answer of state.answers.values()) answer.organisation = rename.name(answer.organisation);
      const present = {};
      for (const [name, n] of Object.entries(state.room.organisations)) {
        present[rename.name(name)] = (present[rename.name(name)] || 0) + n;
      }
      state.room.organisations = present;
      state.actions = state.actions.map(rename.action);
      state.review.items = state.review.items.map(rename.action);
      break;
    }
    case "participant.joined":
      state.room.count = data.count;
      state.room.organisations[data.organisation] = (state.room.organisations[data.organisation] || 0) + 1;
      break;
    default:
      return false;
  }
  return true;
}
