// The board under the keyboard: when its letters may fire, and a focus that survives the lists being drawn again.
// Obstacles stream in from phones and every frame redraws the lists: without this a facilitator tabbing through
// them would be thrown back to the top of the page by each new answer.

// an item of a list, as the board draws it again: an answer or obstacle, a pile, an action, a step, a suggestion
const ITEMS = ["data-id", "data-cluster", "data-action", "data-index", "data-key"];
const ITEM_SELECTOR = ITEMS.map((name) => `[${name}]`).join(", ");
const FOCUSABLE = "button, input, select, textarea, a[href], [tabindex]";
const LABEL_MOST = 80;
const GIST_MOST = 60;

// whether a key press is the board's: not while typing, not with a modifier (Ctrl+M, Cmd+S are the browser's),
// and not a held key repeating (a held arrow would skip through the room's steps)
export function isBoardKey(event) {
  if (event.altKey || event.ctrlKey || event.metaKey || event.repeat || event.isComposing) return false;
  const target = event.target instanceof Element ? event.target : null;
  return !(target && target.closest('input:not([type=checkbox]), textarea, select, [contenteditable]:not([contenteditable="false"])'));
}

// a button's name with what it acts on, so "Verbergen" says which answer among forty
export function about(verb, text) {
  const subject = String(text || "").replace(/\s+/g, " ").trim();
  if (!subject) return verb;
  return `${verb}: ${subject.length > LABEL_MOST ? `${subject.slice(0, LABEL_MOST - 1)}…` : subject}`;
}

// an item's name for a listener: the first words of its text and who it is from, not the whole answer again
export function gist(text, ...more) {
  let head = String(text || "").replace(/\s+/g, " ").trim();
  if (head.length > GIST_MOST) {
    const cut = head.lastIndexOf(" ", GIST_MOST - 1);
    head = `${head.slice(0, cut > 0 ? cut : GIST_MOST - 1)}…`;
  }
  return [head, ...more].filter(Boolean).join(" · ");
}

export function usable(node) {
  return Boolean(node && node.isConnected && !node.disabled && !node.closest("[hidden], [inert]")
    && node.getClientRects().length > 0);
}

function focusables(root) {
  const nodes = [...root.querySelectorAll(FOCUSABLE)];
  return root.matches(FOCUSABLE) ? [root, ...nodes] : nodes;
}

// the usable one at this place in the list, or else the nearest after it, or else the nearest before it
function nearest(nodes, index) {
  const from = Math.min(index, nodes.length - 1);
  for (let i = from; i < nodes.length; i += 1) if (usable(nodes[i])) return nodes[i];
  for (let i = from - 1; i >= 0; i -= 1) if (usable(nodes[i])) return nodes[i];
  return null;
}

// where the focus is, in terms that survive a redraw: the element, the items it sits in and the regions (ids) around
export function focusPlace() {
  const node = document.activeElement;
  if (!node || node === document.body || !document.getElementById("main").contains(node)) return null;
  const items = [];
  for (let item = node.closest(ITEM_SELECTOR); item; item = item.parentElement && item.parentElement.closest(ITEM_SELECTOR)) {
    const name = ITEMS.find((attribute) => item.hasAttribute(attribute));
    items.push({ name, value: item.getAttribute(name), index: focusables(item).indexOf(node) });
  }
  const regions = [];
  for (let region = node.parentElement && node.parentElement.closest("[id]"); region; region = region.parentElement && region.parentElement.closest("[id]")) {
    // the attribute, not .id: the action form has a field named "id", which .id would return
    const id = region.getAttribute("id");
    if (id === "main") break;
    regions.push({ id, index: focusables(region).indexOf(node) });
  }
  return { node, id: node.getAttribute("id"), items, regions };
}

// after a redraw: if the focus fell to the page, to the same control again, or the nearest one in its place
export function keepFocus(place) {
  if (!place) return;
  const now = document.activeElement;
  if (now && now !== document.body && usable(now)) return;
  const target = replacement(place);
  if (target) target.focus();
}

function replacement(place) {
  if (usable(place.node)) return place.node;
  // a control that makes way for another (Pauze for Verder) names it in data-refocus
  const partner = place.node.dataset && place.node.dataset.refocus;
  if (partner) {
    const next = document.querySelector(partner);
    if (usable(next)) return next;
  }
  if (place.id && usable(document.getElementById(place.id))) return document.getElementById(place.id);
  for (const region of place.regions) {
    const box = document.getElementById(region.id);
    if (!box || box.closest("[hidden]") || box.getClientRects().length === 0) continue;
    for (const item of place.items) {
      const again = box.querySelector(`[${item.name}="${CSS.escape(item.value)}"]`);
      const found = again && nearest(focusables(again), Math.max(0, item.index));
      if (found) return found;
    }
    const found = nearest(focusables(box), Math.max(0, region.index));
    if (found) return found;
  }
  // the panel went (another step): the list of steps, where the keyboard carries on
  const current = document.querySelector(".step-button.current");
  return usable(current) ? current : null;
}
