// The board's view of grade, choice, mosaic and look-back steps, and the choice of what a follow-up looks back on.
import { el, format, pick } from "./live.js";
import { choiceChart, gradeChart, mosaicGrid, mosaicNote, reviewList, reviewSummary } from "./results.js";

const REGISTER = "register";

export function createResults({ state, config, post }) {
  const r = config.results;
  const panel = document.getElementById("results-panel");
  const title = document.getElementById("results-title");
  const summary = document.getElementById("results-summary");
  const body = document.getElementById("results-body");
  const source = document.getElementById("review-source");

  if (source) {
    source.addEventListener("change", async () => {
      const chosen = source.elements.review_of.value;
      if (chosen === REGISTER) return; // the selection made in the register is what is set already
      const result = await post("/review/source", { review_of: chosen ? Number(chosen) : null });
      // refused (someone already reported): show what is really set
      if (!result) showSource();
    });
  }

  // what the follow-up looks back on: an earlier workshop, or a selection from the register (no one workshop)
  function showSource() {
    const select = source.elements.review_of;
    let option = select.querySelector(`option[value="${REGISTER}"]`);
    const fromRegister = state.review.source === "register";
    if (fromRegister) {
      if (!option) option = select.appendChild(el("option", { value: REGISTER }));
      option.textContent = format(r.review_register, { n: state.review.items.length });
    } else if (option) {
      option.remove();
    }
    select.value = fromRegister ? REGISTER : (state.workshop.review_of ?? "");
  }

  function statusPicker(item) {
    // the facilitator can note the status for an owner who is not in the room
    const select = el("select", { "aria-label": `${config.messages.status}: ${item.title}` },
      ...Object.entries(r.statuses).map(([value, label]) => el("option", { value, text: label })));
    select.value = item.status;
    select.addEventListener("change", () => post(`/review/${item.id}`, { status: select.value, note: item.report_note }));
    return el("p", { class: "small" }, select);
  }

  function render() {
    const step = state.workshop.steps[state.workshop.step_index];
    const kinds = ["grade", "choice", "mosaic", "action_review"];
    panel.hidden = !kinds.includes(step.type);
    if (panel.hidden) return;
    title.textContent = pick(step.title, config.lang);
    summary.textContent = "";
    let content;
    if (step.type === "grade" || step.type === "choice") {
      const tally = state.tallies[step.id];
      summary.textContent = pick(step.prompt, config.lang);
      content = step.type === "grade" ? gradeChart(tally, r, config.lang) : choiceChart(tally, step, r, config.lang);
    } else if (step.type === "mosaic") {
      summary.textContent = mosaicNote(state.mosaic, r);
      content = state.mosaic ? mosaicGrid(state.mosaic, r, config.lang) : el("p", { class: "muted", text: r.review_none });
    } else {
      if (state.review.items.length) summary.textContent = reviewSummary(state.review, r);
      content = reviewList(state.review, r, config.lang, statusPicker);
    }
    if (source) showSource();
    body.replaceChildren(content);
  }

  return { render };
}
