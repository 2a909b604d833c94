// One live websocket per page: reconnects by itself and catches up from the last sequence number it saw.

// the close codes that end it for good (docs/protocol.md, "Closing"), and the status each one reports: the workshop
// was deleted; the phone's participant is no longer this browser's (it may join again)
const WORKSHOP_REMOVED = 4410;
const PARTICIPANT_REMOVED = 4411;
const FINAL = { [WORKSHOP_REMOVED]: "removed", [PARTICIPANT_REMOVED]: "participant_removed" };

export class Live {
  constructor(path, { workshop, onFrame, onStatus }) {
    this.path = path;
    this.workshop = workshop;
    this.onFrame = onFrame;
    this.onStatus = onStatus || (() => {});
    this.seq = null; // null until the first snapshot: a fresh page always starts from a snapshot
    this.socket = null;
    this.retry = 0;
    this.timer = null;
    // set once the server said the workshop (or the phone's participant) is gone: nothing is opened again
    this.removed = false;
  }

  start() {
    window.addEventListener("online", () => this.reconnectNow());
    window.addEventListener("offline", () => this.drop());
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible" && !this.isOpen()) this.reconnectNow();
    });
    this.open();
  }

  isOpen() {
    return this.socket !== null && this.socket.readyState === WebSocket.OPEN;
  }

  url() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    // the workshop is named from the first try: a workshop deleted before the first snapshot is said so, for good,
    // where a refusal alone (a 404) would be tried again forever
    const params = new URLSearchParams();
    if (this.seq !== null) params.set("since", this.seq);
    if (this.workshop) params.set("wid", this.workshop);
    const resume = params.toString() ? `?${params}` : "";
    return `${scheme}//${location.host}${this.path}${resume}`;
  }

  open() {
    clearTimeout(this.timer);
    if (this.removed) return;
    if (!navigator.onLine) {
      this.onStatus("offline");
      return;
    }
    this.onStatus("connecting");
    // 'online' and 'visibilitychange' often fire together when a phone wakes up: keep one socket, not two
    const previous = this.socket;
    this.socket = null;
    if (previous) previous.close();
    const socket = new WebSocket(this.url());
    this.socket = socket;
    socket.addEventListener("open", () => {
      if (this.socket !== socket) return;
      this.retry = 0;
      this.onStatus("online");
    });
    socket.addEventListener("message", (message) => {
      if (this.socket === socket) this.receive(message.data);
    });
    socket.addEventListener("close", (event) => {
      if (this.socket !== socket) return;
      this.socket = null;
      if (event.code in FINAL) {
        this.removed = true;
        this.onStatus(FINAL[event.code]);
        return;
      }
      this.onStatus("offline");
      this.schedule();
    });
  }

  receive(raw) {
    let frame;
    try {
      frame = JSON.parse(raw);
    } catch {
      return;
    }
    if (frame.type === "snapshot") {
      this.seq = frame.seq;
    } else if (frame.type === "event") {
      if (this.seq !== null && frame.seq <= this.seq) return; // already applied
      this.seq = frame.seq;
    } else if (frame.type === "synced") {
      this.seq = Math.max(this.seq ?? 0, frame.seq);
      this.onFrame(frame);
      return;
    }
    this.onFrame(frame);
  }

  schedule() {
    // back off up to ten seconds, with jitter so a whole room does not reconnect in the same instant
    const delay = Math.min(10000, 400 * 2 ** this.retry) * (0.5 + Math.random() / 2);
    this.retry += 1;
    this.timer = setTimeout(() => this.open(), delay);
  }

  reconnectNow() {
    if (this.isOpen()) return;
    this.retry = 0;
    this.open();
  }

  drop() {
    if (this.removed) return;
    if (this.socket) {
      const socket = this.socket;
      this.socket = null;
      socket.close();
    }
    this.onStatus("offline");
  }

  send(frame) {
    if (!this.isOpen()) return false;
    this.socket.send(JSON.stringify(frame));
    return true;
  }
}

// the page of a deleted workshop: everything it showed goes (names, answers, its title), one final line stays, and
// a way on where the page has one ({ href, text }, and a class where it is the one thing to do: a button)
export function showRemoved(text, onward = null) {
  document.title = text;
  const link = onward && el("p", {}, el("a", { href: onward.href, text: onward.text, class: onward.class }));
  const card = el("section", { class: "card removed", role: "alert" }, el("h1", { text }), link);
  document.body.replaceChildren(el("main", { id: "main", class: "container removed-page" }, card));
}

export function readConfig(id) {
  return JSON.parse(document.getElementById(id).textContent);
}

export function format(template, values) {
  return template.replace(/\{(\w+)\}/g, (_, key) => (key in values ? String(values[key]) : `{${key}}`));
}

// a count in words: messages[key] ("{n} stippen"), or messages[key + "_one"] ("1 stip") when there is one
export function count(messages, key, values) {
  const one = messages[`${key}_one`];
  return format(values.n === 1 && one ? one : messages[key], values);
}

export function pick(texts, lang) {
  if (!texts) return "";
  if (typeof texts === "string") return texts;
  return texts[lang] || texts.nl || Object.values(texts)[0] || "";
}

// each name in a <bdi> of its own: two right-to-left names side by side would otherwise read as one run and swap
// places in the list. A name may come as its parts already isolated (a person and their organisation, a nameList).
export function nameList(names, separator) {
  return names.flatMap((name, i) => [i ? separator : "", ...(Array.isArray(name) ? name : [el("bdi", { text: name })])]);
}

// how many of an action's volunteers are named where the room reads them (projector, phone): a room of sixty on one
// action filled a card with names; the board names them all
export const FEW_NAMES = 5;

// the first FEW_NAMES names and "en 12 anderen" (`others`, a message with {n}); all of them when only one more would
// be left, which takes no more room than saying so
export function fewNames(names, others, few = FEW_NAMES) {
  if (names.length <= few + 1) return { shown: names, rest: null };
  return { shown: names.slice(0, few), rest: format(others, { n: names.length - few }) };
}

// a message whose one {placeholder} holds nodes (a nameList): the words around it as they are
export function formatNodes(template, key, nodes) {
  const [before, after = ""] = template.split(`{${key}}`);
  return [before, ...nodes, after];
}

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("data-")) node.setAttribute(key, value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children) {
    if (child !== null && child !== undefined) node.append(child);
  }
  return node;
}

export function showStatus(node, state, messages) {
  node.dataset.state = state;
  node.textContent = messages[state] || state;
}

/**
 * fn, run once some seconds from now however often it is asked for meanwhile. A phone that sent many messages at once
 * hears a refusal for each one its rate limit turned away, and each resends everything still waiting: timed one per
 * refusal, every round sent the waiting answers as often as there were (2,048 frames for 30 answers).
 */
export function resendLater(fn) {
  let timer = 0;
  return (seconds) => {
    if (timer) return;
    timer = setTimeout(() => {
      timer = 0;
      fn();
    }, Math.max(1, seconds || 1) * 1000);
  };
}

export function newId() {
  if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
  // crypto.randomUUID needs https; venue wifi may serve plain http, where getRandomValues still works
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

// dates in the page's language; British English writes them day first, as Dutch does
export function dateLocale(lang) {
  return lang === "en" ? "en-GB" : "nl-NL";
}

export function localDate(iso) {
  // "2027-01-31" is a day on the calendar, not midnight UTC: read it in the viewer's own time zone
  const [year, month, day] = iso.split("-").map(Number);
  return new Date(year, month - 1, day);
}

// dates written out as the besluitenlijst and "Mijn afspraken" write them (app/exports/wording.py):
// "18 december 2026" for a day, "vrijdag 18 december 2026 om 10:00" for a moment
export function longDay(iso, lang) {
  return localDate(iso).toLocaleDateString(dateLocale(lang), { day: "numeric", month: "long", year: "numeric" });
}

export function longMoment(iso, lang) {
  // "2026-12-18T10:00" without a zone: the room's wall clock, read as local time
  return new Date(iso).toLocaleString(dateLocale(lang),
    { weekday: "long", day: "numeric", month: "long", year: "numeric", hour: "2-digit", minute: "2-digit" });
}
