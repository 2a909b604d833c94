// The phone's grade, choice, mosaic and look-back step views (phone.js's VIEWS table picks them by type). A grade
// or choice is kept on the phone until the server acknowledges it, and sent again after a lost connection: it is a
// whole state, so a resend changes nothing.
import { el, format, nameList, pick, resendLater } from "./live.js";
import { leftMine, ownerOf } from "./phone_actions.js";
import { mosaicGrid, mosaicNote } from "./results.js";
import { saveById } from "./room.js";

export function createStepViews({ state, t, results, lang, store, send, notice, withdraw, isOnline }) {
  // step id -> what this phone chose, until acknowledged
  const pending = store.pending("responses", () => {
    // taken over by a tab opened since (phone_store.js): that tab sends these now
    const waited = Object.keys(wanted).length > 0;
    for (const id of Object.keys(wanted)) delete wanted[id];
    if (waited && !isOnline()) notice(t.taken_over);
    render();
  }, (value) => {
    // that tab closed before it sent them: this one shows them waiting and sends them
    for (const id of Object.keys(wanted)) delete wanted[id];
    Object.assign(wanted, value);
    withdraw(t.taken_over);
    render();
    resend();
  });
  const wanted = pending.value;
  const drafts = {}; // look back: what the owner is typing per action, kept across re-renders
  const wholeNotes = new Set(); // look back: the reports whose note this phone opened whole, kept across re-renders
  let openItem = null;

  function save() {
    // nothing waiting, nothing stored: the phone keeps no more than it must
    pending.save(Object.keys(wanted).length ? wanted : null);
  }

  function template(id, step) {
    const fragment = document.getElementById(id).content.cloneNode(true);
    for (const slot of ["title", "prompt", "help"]) {
      const node = fragment.querySelector(`[data-slot="${slot}"]`);
      if (node) node.textContent = pick(step[slot], lang);
    }
    return fragment;
  }

  // a grade goes as one number, a choice as the list of option numbers
  function responseMessage(step, values) {
    return { type: "response", step: step.id, value: step.type === "grade" ? values[0] : values };
  }

  function respond(step, values) {
    wanted[step.id] = values;
    save();
    send(responseMessage(step, values));
  }

  function mine(step) {
    return wanted[step.id] || state.responses[step.id] || [];
  }

  function sentNote(fragment, step, text) {
    const node = fragment.querySelector('[data-slot="sent"]');
    const stored = state.responses[step.id];
    node.hidden = !stored;
    if (stored) node.textContent = wanted[step.id] ? t.sending_choice : text(stored);
  }

  function grade(step) {
    const fragment = template("tpl-grade", step);
    const chosen = mine(step)[0];
    const buttons = [];
    for (let g = step.low; g <= step.high; g += 1) {
      const button = el("button", { type: "button", class: `grade-button${g === chosen ? " chosen" : ""}`,
        "aria-pressed": String(g === chosen), "aria-label": format(t.grade_label, { grade: g }), text: String(g) });
      button.addEventListener("click", () => {
        respond(step, [g]);
        render(true);
      });
      buttons.push(button);
    }
    fragment.querySelector('[data-slot="grades"]').replaceChildren(...buttons);
    fragment.querySelector('[data-slot="low"]').textContent = pick(step.low_label, lang);
    fragment.querySelector('[data-slot="high"]').textContent = pick(step.high_label, lang);
    sentNote(fragment, step, (stored) => format(t.grade_sent, { grade: stored[0] }));
    return fragment;
  }

  function choice(step) {
    const fragment = template("tpl-choice", step);
    const chosen = new Set(mine(step));
    const kind = step.multiple ? "checkbox" : "radio";
    const inputs = step.options.map((option, index) => {
      const input = el("input", { type: kind, name: `choice-${step.id}`, value: String(index) });
      input.checked = chosen.has(index);
      // one choice is sent at the tap; several are sent together with the button
      if (!step.multiple) input.addEventListener("change", () => respond(step, [index]));
      return el("label", { class: "choice-option" }, input, el("span", { text: pick(option, lang) }));
    });
    fragment.querySelector('[data-slot="options"]').replaceChildren(...inputs);
    const form = fragment.querySelector("form");
    if (!step.multiple) fragment.querySelector('[data-slot="send"]').remove();
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const values = [...form.querySelectorAll("input:checked")].map((input) => Number(input.value));
      const error = stepNode().querySelector('[data-slot="error"]');
      error.hidden = values.length > 0;
      error.textContent = values.length ? "" : t.choice_none;
      if (values.length) respond(step, values);
    });
    sentNote(fragment, step, () => t.choice_sent);
    return fragment;
  }

  function mosaic(step) {
    const fragment = template("tpl-mosaic", step);
    const help = fragment.querySelector('[data-slot="help"]');
    help.textContent = [help.textContent, mosaicNote(state.mosaic, results)].filter(Boolean).join(" ");
    if (state.mosaic) fragment.querySelector('[data-slot="mosaic"]').replaceChildren(mosaicGrid(state.mosaic, results, lang));
    return fragment;
  }

  // the look back is for reporting: "yours" only where the server takes this phone's report as the owner's
  function ownedByMe(item) {
    return ownerOf(state.me, item.owner, item.owner_id ?? null);
  }

  function reviewItem(item) {
    const mineToo = ownedByMe(item);
    const open = openItem === item.id;
    const head = el("button", { type: "button", class: "review-head", "aria-expanded": String(open) },
      el("strong", { dir: "auto", text: item.title }),
      el("span", { class: "muted small" }, ...nameList([item.owner, mineToo ? t.your_organisation : null].filter(Boolean), " · ")),
      // a selection from the register may span several workshops: say which one the action was agreed in
      state.review.workshops > 1 ? el("span", { class: "muted small agreed-in", text: item.workshop_title }) : null,
      el("span", { class: `status-chip status-${item.status}`, text: results.statuses[item.status] || item.status }));
    head.addEventListener("click", () => {
      openItem = open ? null : item.id;
      render(true);
    });
    const box = el("li", { class: `review-card${mineToo ? " own" : ""}`, "data-action": item.id }, head);
    if (item.reported) box.append(reportSent(item));
    else if (item.moved) box.append(el("p", { class: "muted small since", text: results.review_since }));
    if (open) box.append(reportForm(item));
    return box;
  }

  // "Doorgegeven ✓" and the note as sent, three lines at most with "Lees verder" to show it whole, as a list of
  // volunteers opens on "en 12 anderen": a note of 280 letters filled a 360 px phone
  function reportSent(item) {
    const whole = wholeNotes.has(item.id);
    const words = el("span", { class: whole ? "report-note" : "report-note clamp-3", text: `${t.report_sent} ${item.note}` });
    const sent = el("p", { class: "notice small report-sent" }, words);
    if (whole || !item.note) return sent;
    // offered only where the note is cut, which shows once the list is on the page; added then, not hidden till
    // then: the redraw after a report hands the focus to the nearest control, and a hidden one cannot take it
    requestAnimationFrame(() => {
      if (words.scrollHeight <= words.clientHeight + 1) return;
      const more = el("button", { type: "button", class: "link read-more", text: t.read_more });
      more.addEventListener("click", () => {
        wholeNotes.add(item.id);
        render();
      });
      sent.append(more);
    });
    return sent;
  }

  function reportForm(item) {
    const draft = drafts[item.id] || { status: item.status, note: item.report_note };
    drafts[item.id] = draft;
    const statuses = Object.entries(results.statuses).map(([value, label]) => {
      const input = el("input", { type: "radio", name: `status-${item.id}`, value });
      input.checked = draft.status === value;
      input.addEventListener("change", () => { draft.status = value; });
      return el("label", { class: `chip-option status-${value}` }, input, el("span", { text: label }));
    });
    const note = el("textarea", { rows: "2", maxlength: "280", dir: "auto" });
    note.value = draft.note;
    note.addEventListener("input", () => { draft.note = note.value; });
    const form = el("form", { class: "stack report-form" },
      el("fieldset", {}, el("legend", { text: t.report_status }), el("div", { class: "chip-options" }, ...statuses)),
      el("label", {}, el("span", { text: t.report_note }), note),
      el("button", { type: "submit", class: "button primary", text: t.report_send }));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const button = form.querySelector("button");
      // marked, not disabled: a disabled button drops the focus, and a keyboard or screen reader starts at the top again
      if (button.getAttribute("aria-disabled") === "true") return;
      // busy only once it went: without a connection nothing comes back to end the wait (the bar says offline)
      if (send({ type: "review", action_id: item.id, status: draft.status, note: draft.note.trim() })) {
        button.setAttribute("aria-disabled", "true");
      }
    });
    return form;
  }

  function review(step) {
    const fragment = template("tpl-review", step);
    // an owner finds their own organisation's actions first
    const items = [...state.review.items].sort((a, b) => Number(ownedByMe(b)) - Number(ownedByMe(a)));
    const list = fragment.querySelector('[data-slot="list"]');
    if (items.length) list.replaceChildren(...items.map(reviewItem));
    else list.replaceChildren(el("li", { class: "muted", text: state.review.workshop ? results.review_none : results.review_unset }));
    return fragment;
  }

  const stepNode = () => document.getElementById("step");
  let render = () => {};

  function refreshIfLeft(item) {
    if (leftMine(state.me, state.review.items.find((other) => other.id === item.id), item)) send({ type: "refresh" });
  }

  // frames about these steps; true when handled
  function onFrame(frame) {
    if (frame.type === "response_ack") {
      state.responses[frame.step] = frame.values;
      delete wanted[frame.step];
      save();
    } else if (frame.type === "review_ack") {
      refreshIfLeft(frame.item);
      saveById(state.review.items, frame.item);
      delete drafts[frame.item.id];
      openItem = null;
    } else if (frame.type === "event" && frame.kind === "review.saved") {
      refreshIfLeft(frame.data);
      saveById(state.review.items, frame.data);
    } else if (frame.type === "event" && frame.kind === "review.changed") {
      state.review = frame.data;
    } else if (frame.type === "error" && (frame.request === "response" || frame.request === "review")) {
      // grades are sent again by themselves; a report is not (resend sends grades), so a report turned away says
      // so like any refusal and its form is drawn again, ready to press once more, rather than left busy for good
      if (frame.code === "rate_limited" && frame.request === "response") {
        resendSoon();
        return true;
      }
      // what the server refused is not kept for a resend; the phone shows what is stored and why
      if (frame.request === "response") {
        for (const step of Object.keys(wanted)) if (!frame.step || step === frame.step) delete wanted[step];
        save();
      }
      render(true);
      const current = state.workshop?.steps[state.workshop.step_index];
      const error = stepNode().querySelector('[data-slot="error"]');
      if (error && (!frame.step || frame.step === current?.id) && !state.workshop?.closed) {
        error.hidden = false;
        error.textContent = frame.message;
      } else {
        // the question it was about has gone from the screen: say which one was not counted
        const step = state.workshop?.steps.find((s) => s.id === frame.step);
        notice(format(t.response_refused, { step: step ? pick(step.title, lang) : "", message: frame.message }));
      }
      return true;
    } else {
      return false;
    }
    // this phone's own grade or report arriving is said; another phone's report only redraws the list
    render(frame.type === "response_ack" || frame.type === "review_ack");
    return true;
  }

  // after a reconnect: what was tapped but never acknowledged. Sent even when the room seems to have moved on: the
  // server acknowledges what it stored before the step closed, and says so when it did not, so the phone can tell
  function resend() {
    if (pending.taken()) return;
    for (const [stepId, values] of Object.entries(wanted)) {
      const step = state.workshop?.steps.find((s) => s.id === stepId);
      if (step) send(responseMessage(step, values));
      else delete wanted[stepId];
    }
    save();
  }
  const resendSoon = resendLater(resend);

  return {
    grade,
    choice,
    mosaic,
    review,
    onFrame,
    resend,
    setRender(fn) { render = fn; },
  };
}
