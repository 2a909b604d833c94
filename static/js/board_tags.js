// A pile's tag (spanningscluster or theme) as a select with its label in sight: once a tag is chosen the select shows
// only the tag ("Wonen"), so without the label one could not tell the two apart.
import { about } from "./board_keyboard.js";
import { el } from "./live.js";

// labels: stored key to the words shown, in the page's language; pile: the pile's name, so a screen reader among
// twenty piles' selects hears which pile this one tags
export function tagSelect(t, label, labels, value, onChange, pile = "") {
  const select = el("select", { "aria-label": about(label, pile) },
    el("option", { value: "", text: t.dash }),
    ...Object.entries(labels).map(([key, text]) => el("option", { value: key, text })));
  select.value = value || "";
  select.addEventListener("change", () => onChange(select.value));
  return el("label", { class: "tag-select" }, el("span", { class: "tag-label", text: label }), select);
}
