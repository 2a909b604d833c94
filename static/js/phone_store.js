// What a phone keeps in its browser (localStorage), per workshop code: doorbraak:<kind>:<code> for when the phone
// last used the workshop (used). Answers waiting for the server are a key each, doorbraak:outbox:<code>:<client id>;
// typed text is one key per tab, doorbraak:drafts:<code>:<tab id>, and so are hands, grades and dots not yet
// acknowledged (pending: doorbraak:<votes|hands|responses>:<code>:<tab id>; a tab that closes holding some marks its
// key closed, for an open tab to take back). A tab writes and removes only its own, as one shared list read, changed
// and written back by two tabs lost what the other added (localStorage has no lock). The server takes a client id
// twice as one answer. A tab that opens takes over the other tabs' drafts, each noting the tabs it came from (from):
// once one of those writes again, it sent, cleared or changed that text, and the copy goes. A workshop's keys go once
// it is closed with nothing left to send, and those of workshops not used for days.
// localStorage may be missing or refuse (blocked site data, a full quota): the phone then works from memory alone.

import { newId } from "./live.js";

const PREFIX = "doorbraak:";
const KINDS = new Set(["outbox", "drafts", "votes", "hands", "responses", "used"]);
const DAY = 24 * 60 * 60 * 1000;
// a session lasts hours, sometimes two days: a workshop the phone has not opened for three days is done with, and
// its drafts and refused answers (already shown, no longer sendable) go
const QUIET = 3 * DAY;
// what the phone still means to send waits for its workshop to be opened again, and is sent then; not for ever: a
// month on, no step is still open for it
const UNSENT_KEPT = 30 * DAY;

function storage() {
  try {
    return window.localStorage; // the getter itself throws where the browser blocks site data
  } catch {
    return null;
  }
}

function parse(raw) {
  try {
    return JSON.parse(raw ?? "null");
  } catch {
    return null; // unreadable is as good as nothing kept
  }
}

function read(name) {
  try {
    return parse(storage()?.getItem(name));
  } catch {
    return null; // refused
  }
}

// whether it was written: full or refused, the phone keeps it in memory only, and still sends it
function write(name, value) {
  const store = storage();
  try {
    if (value === null || value === undefined) store.removeItem(name);
    else store.setItem(name, JSON.stringify(value));
    return true;
  } catch {
    return false;
  }
}

/** A stored object as it was kept, or null for anything else (nothing, a list, a number). */
function record(value) {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? value : null;
}

// an answer the phone can send and show: its text and its id as the page made them (anything else kept is damage)
function answer(item) {
  return typeof record(item)?.text === "string" && typeof item.client_id === "string" && item.client_id !== "";
}

const filled = (value) => record(value) !== null && Object.keys(value).length > 0;

// what the phone will send by itself when the workshop is open again: by kind, from what is stored. Drafts were
// never sent and refused answers cannot be: shown to the participant, they are not waiting for anything
const UNSENT = {
  outbox: (items) => Array.isArray(items) && items.some((item) => item?.state === "pending"),
  votes: (wanted) => record(wanted) !== null, // a whole allocation, even an empty one: "take my dots off" is sent too
  hands: filled,
  responses: filled,
};

// the keys that start so, as they are at this moment
function keysFrom(start) {
  const store = storage();
  const keys = [];
  try {
    for (let i = 0; i < (store?.length ?? 0); i += 1) {
      const key = store.key(i);
      if (key?.startsWith(start)) keys.push(key);
    }
  } catch {
    // refused: nothing kept
  }
  return keys;
}

// the answers of a list as phones kept them before, as far as they are answers
function listedOf(code) {
  const listed = read(`${PREFIX}outbox:${code}`);
  return Array.isArray(listed) ? listed.filter(answer) : [];
}

// a workshop's answers waiting for the server, oldest first; those of one list (as phones kept them before) first,
// unless a key of their own holds them too
function answersOf(code) {
  const own = keysFrom(`${PREFIX}outbox:${code}:`).map(read).filter(answer);
  own.sort((a, b) => (Number(a.at) || 0) - (Number(b.at) || 0));
  const keyed = new Set(own.map((item) => item.client_id));
  return [...listedOf(code).filter((item) => !keyed.has(item.client_id)), ...own];
}

// the values each tab keeps of a kind, an older page's one key first, then the tabs' oldest first
function tabsOf(code, kind) {
  const tabs = keysFrom(`${PREFIX}${kind}:${code}:`).map(read).filter((kept) => record(kept) && "value" in kept);
  tabs.sort((a, b) => (Number(a.at) || 0) - (Number(b.at) || 0));
  return [read(`${PREFIX}${kind}:${code}`), ...tabs.map((kept) => kept.value)].filter((value) => value !== null);
}

function holdsUnsent(code) {
  const kept = (kind) => (kind === "outbox" ? [answersOf(code)] : tabsOf(code, kind));
  return Object.entries(UNSENT).some(([kind, unsent]) => kept(kind).some(unsent));
}

function forget(code) {
  for (const kind of KINDS) {
    write(`${PREFIX}${kind}:${code}`, null);
    for (const key of keysFrom(`${PREFIX}${kind}:${code}:`)) write(key, null);
  }
}

function draftsIn(value) {
  return Object.entries(record(value) || {}).filter(([, draft]) => typeof record(draft)?.text === "string");
}

const origins = (draft) => (Array.isArray(draft.from) ? draft.from.filter((key) => typeof key === "string") : []);

// several tabs' drafts as one: per question every text once, the latest link and theme; a joined text is this tab's
function joinDrafts(kept) {
  const joined = {};
  const written = kept.flatMap(([key, value]) => draftsIn(value).map(([step, d]) => [step, { ...d, from: [...origins(d), key] }]))
    .sort(([, a], [, b]) => (Number(a.at) || 0) - (Number(b.at) || 0));
  for (const [step, draft] of written) {
    const before = joined[step]?.text;
    let text = draft.text;
    if (before?.includes(text.trim())) text = before;
    else if (before && !text.includes(before.trim())) text = `${before}\n\n${text}`;
    joined[step] = { ...draft, text };
    if (before !== undefined) delete joined[step].from;
  }
  return joined;
}

/** The keys of one workshop's code. Loading gives null for nothing, unreadable or refused; saving null removes. */
export function workshopStore(code, now = Date.now) {
  let closed = false;
  const tab = newId();
  const touched = () => {
    write(`${PREFIX}used:${code}`, now());
    if (closed) store.settle();
  };
  const store = {
    // what this tab and those before it tapped and the server has not acknowledged (hands, responses: by id, the
    // latest tab's over the earlier; votes: the latest whole allocation), now this tab's own to send and keep.
    // A tab opened later takes it in turn: onTaken() says this one no longer holds it (taken() asks, before a resend).
    // A tab that closes still holding some marks its key closed (pagehide), and an open tab takes that key back:
    // onBack(value) hands it what it holds now, to show and send again
    pending(kind, onTaken = () => {}, onBack = () => {}) {
      const own = `${PREFIX}${kind}:${code}:${tab}`;
      const start = `${PREFIX}${kind}:${code}:`;
      const keys = [`${PREFIX}${kind}:${code}`, ...keysFrom(start)];
      const kept = tabsOf(code, kind).map(record).filter(Boolean);
      const join = (values) => (kind === "votes" ? values.at(-1) ?? null : Object.assign({}, ...values));
      const value = join(kept);
      let holds = false; // this tab's key holds what it wrote
      const save = (next) => {
        const written = write(own, next === null ? null : { at: now(), value: next });
        holds = written && next !== null;
        touched();
        return written;
      };
      // the key gone, removed by a tab that took it over: that tab sends it now, and one more send from here (at a
      // reconnect) would undo what was changed there since, as a hand lowered there rising again
      const taken = () => {
        if (!holds || read(own) !== null) return false;
        holds = false;
        onTaken();
        return true;
      };
      // a closed tab's key, unless another open tab took it first: joined with this tab's own, the later written
      // over the earlier, as a tab that opens joins them
      const back = (key) => {
        const closed = record(read(key));
        if (!closed?.closed || !("value" in closed)) return;
        const mine = holds ? record(read(own)) : null;
        const values = [closed, mine].filter((k) => k && record(k.value))
          .sort((a, b) => (Number(a.at) || 0) - (Number(b.at) || 0)).map((k) => k.value);
        const next = join(values);
        if (next === null || !save(next)) return;
        write(key, null);
        onBack(next);
      };
      window.addEventListener("storage", (event) => {
        if (event.key === own && event.newValue === null) taken();
        else if (event.key?.startsWith(start) && event.key !== own && record(parse(event.newValue))?.closed) back(event.key);
      });
      window.addEventListener("pagehide", () => {
        const mine = record(read(own));
        if (holds && mine) write(own, { ...mine, closed: true });
      });
      // back from the browser's back-forward cache: what no other tab took is this tab's again
      window.addEventListener("pageshow", (event) => {
        if (!event.persisted) return;
        const mine = record(read(own));
        if (mine?.closed) write(own, { at: mine.at, value: mine.value });
        else taken();
      });
      if (kept.length && save(value)) for (const key of keys) if (key !== own) write(key, null);
      return { value, save, taken };
    },
    // the answers waiting for the server, this tab's and any other's. A list kept by an older page becomes keys: taken
    // out first, for the room that frees; what a full storage cannot hold as keys goes back into a list, and what
    // not even that is sent from memory (it was removed the moment it was read, and lost with a full storage)
    answers() {
      const listed = listedOf(code);
      write(`${PREFIX}outbox:${code}`, null);
      const left = listed.filter((item) => !write(`${PREFIX}outbox:${code}:${item.client_id}`, item));
      const unkept = left.length && !write(`${PREFIX}outbox:${code}`, left) ? left : [];
      const kept = answersOf(code);
      const ids = new Set(kept.map((item) => item.client_id));
      return [...unkept.filter((item) => !ids.has(item.client_id)), ...kept];
    },
    // one answer as it is now (waiting, or refused), under its own key
    keepAnswer(item) {
      write(`${PREFIX}outbox:${code}:${item.client_id}`, item);
      touched();
    },
    dropAnswer(clientId) {
      write(`${PREFIX}outbox:${code}:${clientId}`, null);
      // a list is there only while the storage was too full to make it keys
      const listed = listedOf(code);
      const rest = listed.filter((item) => item.client_id !== clientId);
      if (rest.length < listed.length) write(`${PREFIX}outbox:${code}`, rest.length ? rest : null);
      touched();
    },
    // what other tabs (and older pages) kept becomes this tab's; a copy whose tab is still open and changes it (sends,
    // clears, types on) goes again: onTaken({ step, text })
    drafts(onTaken) {
      const own = `${PREFIX}drafts:${code}:${tab}`;
      const keys = [`${PREFIX}drafts:${code}`, ...keysFrom(`${PREFIX}drafts:${code}:`)];
      // a copy whose tab wrote since: that tab's key says what is left
      const kept = keys.map((key) => [key, Object.fromEntries(draftsIn(read(key))
        .filter(([, d]) => !origins(d).some((origin) => read(origin) !== null)))]);
      const copies = new Map();
      for (const [key, value] of kept) {
        for (const [step, d] of Object.entries(value)) {
          for (const origin of [...origins(d), key]) copies.set(origin, (copies.get(origin) || new Map()).set(step, d.text));
        }
      }
      const joined = joinDrafts(kept);
      let wrote = false;
      const save = (drafts) => {
        // emptied once written is {}: a removed key is one another tab took
        const written = write(own, !Object.keys(drafts).length && !wrote ? null : drafts);
        wrote ||= written && Object.keys(drafts).length > 0;
        touched();
        return written;
      };
      if (!Object.keys(joined).length || save(joined)) for (const key of keys) write(key, null);
      window.addEventListener("storage", (event) => {
        if (event.newValue === null || !event.key?.startsWith(`${PREFIX}drafts:${code}:`) || event.key === own) return;
        const left = record(parse(event.newValue)) || {};
        const taken = copies.get(event.key) || new Map();
        // and what a tab took from this one
        for (const [step, d] of draftsIn(parse(event.oldValue))) if (origins(d).includes(own)) taken.set(step, d.text);
        for (const [step, text] of taken) {
          if (left[step]?.text === text) continue;
          taken.delete(step);
          onTaken({ step, text });
        }
      });
      return { drafts: joined, save };
    },
    // the room closed: once nothing is left to send, what the phone kept of it goes. It was shown (the page keeps
    // it in memory until it is left); a session the facilitator opens again is written again at the next change
    setClosed(isClosed) {
      closed = isClosed;
      if (closed) store.settle();
    },
    settle() {
      if (!holdsUnsent(code)) forget(code);
    },
    // the workshop was deleted: whatever the phone kept of it goes, unsent or not (it can never be sent now)
    forgetAll() {
      forget(code);
    },
  };
  write(`${PREFIX}used:${code}`, now());
  return store;
}

/** Remove what the phone kept of other workshops it has not used for days, unless it still has to send it. */
export function forgetOldWorkshops(current, now = Date.now()) {
  const store = storage();
  if (!store) return;
  try {
    const codes = new Set();
    for (let i = 0; i < store.length; i += 1) {
      const [prefix, kind, code] = (store.key(i) || "").split(":");
      if (`${prefix}:` === PREFIX && KINDS.has(kind) && code && code !== current) codes.add(code);
    }
    for (const code of codes) {
      const used = read(`${PREFIX}used:${code}`);
      if (typeof used !== "number" || !(used <= now)) {
        // kept before the phone noted its use (or by a clock since put back): the days are counted from now
        write(`${PREFIX}used:${code}`, now);
      } else if (now - used > UNSENT_KEPT || (now - used > QUIET && !holdsUnsent(code))) {
        forget(code);
      }
    }
  } catch {
    // a clean-up is housekeeping: whatever the browser refuses, the phone's page goes on
  }
}
