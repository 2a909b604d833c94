// The board's step panels: grouping and voting, agreed actions, the follow-up.
import { count, el, format, formatNodes, longDay, longMoment, nameList } from "./live.js";
import { about, gist } from "./board_keyboard.js";
import { tagSelect } from "./board_tags.js";

export function createPanels({ state, t, config }) {
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const selected = new Set();
  const base = `/f/workshops/${config.id}`;
  const nodes = {
    clusterPanel: document.getElementById("cluster-panel"),
    loose: document.getElementById("loose"),
    clusters: document.getElementById("cluster-list"),
    actionsPanel: document.getElementById("actions-panel"),
    actionForm: document.getElementById("action-form"),
    actionError: document.getElementById("action-error"),
    actionList: document.getElementById("action-list"),
    pledges: document.getElementById("pledge-list"),
    followupPanel: document.getElementById("followup-panel"),
    followupForm: document.getElementById("followup-form"),
    followupCurrent: document.getElementById("followup-current"),
    focusOnly: document.getElementById("focus-only"),
    mergeNote: document.getElementById("merge-note"),
    dots: document.getElementById("dots"),
  };
  let deferred = false;

  // errorNode shows what failed; without one, an alert does, unless quiet (work the facilitator did not ask for)
  async function send(path, body, errorNode = null, quiet = false) {
    const response = await fetch(`${base}${path}`, {
      method: "POST",
      headers: { Accept: "application/json", "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(body),
    }).catch((error) => {
      if (quiet) return null;
      throw error;
    });
    if (!response) return null;
    const result = await response.json().catch(() => ({}));
    if (quiet) return response.ok ? result : null;
    if (!response.ok) {
      const message = format(t.failed, { reason: result.detail || response.status });
      if (errorNode) {
        errorNode.hidden = false;
        errorNode.textContent = message;
      } else {
        window.alert(message);
      }
      return null;
    }
    if (errorNode) errorNode.hidden = true;
    return result;
  }

  const step = () => state.workshop.steps[state.workshop.step_index];
  const sourceStep = () => state.workshop.steps.find((s) => s.type === "cluster" || s.type === "dot_vote")?.source;
  const obstacles = () => [...state.answers.values()].filter((a) => a.step === sourceStep() && !a.hidden);

  // ---- grouping and voting

  function group(answerIds, into = null) {
    return send("/clusters/group", { answer_ids: answerIds, into });
  }

  // the pile a merge made, until its card is drawn: its name then takes the focus, ready to be typed
  let named = null;

  // M or the button with fewer than two ticked: say how it works rather than do nothing (or make a pile of one)
  let noteTimer = 0;
  function noteMerge(text) {
    clearTimeout(noteTimer);
    nodes.mergeNote.textContent = "";
    nodes.mergeNote.hidden = !text;
    // shown first and worded a moment later: a status region is heard when its words change while it is shown, and
    // so a second M is heard again
    if (text) noteTimer = setTimeout(() => { nodes.mergeNote.textContent = text; }, 50);
  }

  async function mergeSelection() {
    const ids = [...selected];
    // one ticked would be a pile of one (or nothing, on its own pile): say that two are needed, and make nothing
    if (ids.length < 2) {
      noteMerge(ids.length ? t.merge_one : t.merge_none);
      return;
    }
    noteMerge("");
    // keep an existing pile when the selection has one: merging into it keeps its name and tags
    const pile = state.clusters.find((c) => c.answers.some((id) => selected.has(id)));
    selected.clear();
    const result = await group(ids, pile ? pile.id : null);
    const made = result && result.clusters.find((c) => c.answers.includes(ids[0]));
    if (!made) return;
    named = { cluster: made.id, member: ids[0] };
    focusNamed();
  }

  // the card shows the merge once the room's frame has come (before or after the answer to the merge)
  function focusNamed() {
    if (!named) return;
    const card = nodes.clusters.querySelector(`[data-cluster="${named.cluster}"]`);
    if (!card || !card.querySelector(`[data-id="${named.member}"]`)) return;
    named = null;
    const name = card.querySelector(".cluster-name");
    name.focus();
    name.select(); // the name it got from its first obstacle: typing replaces it, Enter keeps it
  }

  function draggable(answer, extra) {
    // described by the key that merges the ticked ones, so a listener on a box learns what ticking is for
    const box = el("input", { type: "checkbox", "aria-label": `${t.select}: ${answer.text}`, "aria-describedby": "merge-hint" });
    box.checked = selected.has(answer.id);
    box.addEventListener("change", () => {
      if (box.checked) selected.add(answer.id);
      else selected.delete(answer.id);
      noteMerge("");
    });
    const item = el("li", { class: "obstacle-chip", draggable: "true", "data-id": answer.id },
      box, el("span", { class: "text", text: answer.text }), extra || null);
    item.addEventListener("dragstart", (event) => {
      event.dataTransfer.setData("text/plain", String(answer.id));
      event.dataTransfer.effectAllowed = "move";
    });
    return item;
  }

  function dropTarget(node, onDrop) {
    node.addEventListener("dragover", (event) => {
      event.preventDefault();
      node.classList.add("drag-over");
    });
    node.addEventListener("dragleave", () => node.classList.remove("drag-over"));
    node.addEventListener("drop", (event) => {
      event.preventDefault();
      event.stopPropagation();
      node.classList.remove("drag-over");
      const id = Number(event.dataTransfer.getData("text/plain"));
      if (id) onDrop(id);
    });
  }

  function clusterCard(cluster) {
    const byId = new Map(obstacles().map((a) => [a.id, a]));
    // a text area that grows with the name (app.css), so a long name is read whole; Enter or leaving it saves
    const name = el("textarea", { class: "cluster-name", "aria-label": t.rename, maxlength: "2000", rows: "1" });
    name.value = cluster.name;
    let saved = cluster.name;
    const rename = () => {
      if (name.value === saved) return;
      saved = name.value;
      send(`/clusters/${cluster.id}`, { name: name.value });
    };
    name.addEventListener("change", rename);
    name.addEventListener("keydown", (event) => {
      if (event.key !== "Enter") return;
      event.preventDefault(); // a name is one line
      rename();
    });
    const focus = el("input", { type: "checkbox", "aria-label": about(t.focus, cluster.name) });
    focus.checked = cluster.focus;
    focus.addEventListener("change", () => send(`/clusters/${cluster.id}`, { focus: focus.checked }));
    const members = cluster.answers.filter((id) => byId.has(id)).map((id) => {
      const loose = el("button", { type: "button", class: "link small", text: t.ungroup, "aria-label": about(t.ungroup, byId.get(id).text) });
      loose.addEventListener("click", () => send("/clusters/ungroup", { answer_id: id }));
      return draggable(byId.get(id), loose);
    });
    // a pile made by mistake (one accepted suggestion, or all of them) goes back to loose obstacles in one press
    const dissolve = el("button", { type: "button", class: "link small", text: t.dissolve, "aria-label": `${t.dissolve}: ${cluster.name}` });
    dissolve.addEventListener("click", () => send(`/clusters/${cluster.id}/dissolve`, {}));
    const label = format(t.pile_label, { name: gist(cluster.name), size: count(t, "pile_size", { n: members.length }),
      votes: count(t, "votes", { n: cluster.votes }) });
    const card = el("article", { class: `cluster-card${cluster.focus ? " is-focus" : ""}`, "data-cluster": cluster.id, "aria-label": label },
      el("header", { class: "cluster-head" }, name,
        el("span", { class: "badge live", text: count(t, "votes", { n: cluster.votes }) })),
      el("div", { class: "cluster-tags" },
        tagSelect(t, t.tension, config.results.tensions, cluster.tension, (v) => send(`/clusters/${cluster.id}`, { tension: v }), cluster.name),
        tagSelect(t, t.theme, config.results.themes, cluster.theme, (v) => send(`/clusters/${cluster.id}`, { theme: v }), cluster.name),
        el("label", { class: "check small" }, focus, t.focus)),
      el("ul", { class: "member-list" }, ...members),
      el("p", { class: "cluster-foot" }, dissolve));
    dropTarget(card, (id) => group([id], cluster.id));
    return card;
  }

  function renderClusters() {
    const visible = ["cluster", "dot_vote"].includes(step().type);
    nodes.clusterPanel.hidden = !visible;
    if (!visible) return;
    if (nodes.clusterPanel.contains(document.activeElement) && document.activeElement.matches(".cluster-name")) {
      deferred = true; // don't pull the name field away from someone typing in it
      return;
    }
    const clustered = new Set(state.clusters.flatMap((c) => c.answers));
    const loose = obstacles().filter((a) => !clustered.has(a.id)).map((answer) => {
      const item = draggable(answer);
      dropTarget(item, (id) => id !== answer.id && group([id, answer.id]));
      return item;
    });
    nodes.loose.replaceChildren(...(loose.length ? loose : [el("li", { class: "muted", text: t.no_loose })]));
    const cards = state.clusters.map(clusterCard);
    nodes.clusters.replaceChildren(...(cards.length ? cards : [el("p", { class: "muted", text: t.no_clusters })]));
    nodes.focusOnly.checked = state.workshop.focus_only;
    if (document.activeElement !== nodes.dots) nodes.dots.value = state.workshop.dots;
    focusNamed();
  }

  nodes.clusterPanel.addEventListener("focusout", () => {
    if (deferred) {
      deferred = false;
      setTimeout(renderClusters, 0);
    }
  });
  dropTarget(nodes.clusterPanel.querySelector('[data-drop="loose"]'), (id) => send("/clusters/ungroup", { answer_id: id }));
  document.getElementById("merge").addEventListener("click", mergeSelection);
  nodes.focusOnly.addEventListener("change", () => send("/settings", { focus_only: nodes.focusOnly.checked }));
  nodes.dots.addEventListener("change", () => send("/settings", { dots: Number(nodes.dots.value) }));

  // ---- agreed actions

  function fillForm(values) {
    const form = nodes.actionForm;
    form.reset();
    for (const [key, value] of Object.entries(values)) {
      if (form.elements[key]) form.elements[key].value = value ?? "";
    }
    form.elements.title.focus();
  }

  function actionBody(form) {
    const data = new FormData(form);
    const number = (key) => (data.get(key) ? Number(data.get(key)) : null);
    return {
      title: data.get("title"), description: data.get("description"), owner_organisation: data.get("owner_organisation"),
      contact_person: data.get("contact_person"), due_on: data.get("due_on") || null, status: data.get("status"),
      partners: String(data.get("partners") || "").split(",").map((p) => p.trim()).filter(Boolean),
      obstacle_id: number("obstacle_id"), contribution_id: number("contribution_id"),
      // the action as the form was filled with it: someone else's change since is not saved over (409)
      seen: data.get("seen") || null,
      // the board never shows the contact's address (phones hear every action): an empty field keeps it
      ...(data.get("contact_email") ? { contact_email: data.get("contact_email") } : {}),
    };
  }

  nodes.actionForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const id = nodes.actionForm.elements.id.value;
    const saved = await send(id ? `/actions/${id}` : "/actions", actionBody(nodes.actionForm), nodes.actionError);
    if (saved) {
      nodes.actionForm.reset();
    } else if (id) {
      // refused, say for a change made meanwhile: the list shows that change, and pressing again saves over it
      const now = state.actions.find((action) => String(action.id) === id);
      if (now) nodes.actionForm.elements.seen.value = now.seen;
    }
  });
  nodes.actionForm.addEventListener("reset", () => {
    // reset leaves hidden fields alone, so clear them here, at once: fillForm sets them right after
    nodes.actionError.hidden = true;
    nodes.actionForm.elements.id.value = "";
    nodes.actionForm.elements.contribution_id.value = "";
    nodes.actionForm.elements.seen.value = "";
  });

  function actionItem(action) {
    // the same choices, in the page's language, as the status field of the action form
    const status = el("select", { "aria-label": t.status },
      ...[...nodes.actionForm.elements.status.options].map((o) => el("option", { value: o.value, text: o.text })));
    status.value = action.status;
    status.addEventListener("change", () => send(`/actions/${action.id}`, {
      title: action.title, description: action.description, owner_organisation: action.owner, partners: action.partners,
      contact_person: action.contact, due_on: action.due_on, obstacle_id: action.obstacle_id,
      contribution_id: action.contribution_id, status: status.value, seen: action.seen,
    }));
    const edit = el("button", { type: "button", class: "link", text: t.edit, "aria-label": about(t.edit, action.title) });
    edit.addEventListener("click", () => fillForm({
      id: action.id, title: action.title, description: action.description, owner_organisation: action.owner,
      contact_person: action.contact, partners: action.partners.join(", "), due_on: action.due_on,
      status: action.status, obstacle_id: action.obstacle_id, contribution_id: action.contribution_id,
      seen: action.seen,
    }));
    const remove = el("button", { type: "button", class: "link", text: t.delete, "aria-label": about(t.delete, action.title) });
    remove.addEventListener("click", () => window.confirm(t.confirm_delete) && send(`/actions/${action.id}/delete`, {}));
    // the owner and the partners apart, as the besluitenlijst has them; every name in a <bdi> (live.js nameList)
    const facts = [formatNodes(t.owner, "owner", nameList([action.owner]))];
    if (action.partners.length) facts.push(formatNodes(t.partners, "names", nameList(action.partners, ", ")));
    if (action.due_on) facts.push([format(t.due, { date: longDay(action.due_on, config.lang) })]);
    const names = action.volunteers.map((v) => nameList([v.name, v.organisation].filter(Boolean), " · "));
    return el("li", { class: "board-answer action-item", "data-action": action.id },
      el("p", { class: "text", text: action.title }),
      el("p", { class: "meta muted" }, ...nameList(facts, " · ")),
      names.length
        ? el("p", { class: "meta muted" }, ...formatNodes(t.volunteers, "names", nameList(names, ", ")))
        : el("p", { class: "meta muted", text: t.no_volunteers }),
      el("div", { class: "item-tools" }, status, edit, remove));
  }

  function renderActions() {
    const type = step().type;
    const visible = Boolean(step().links_to) || type === "actions" || type === "close";
    nodes.actionsPanel.hidden = !visible;
    // the follow-up date comes after the actions (DESIGN.md: actions, follow-up date, close): it is set at the
    // wrap-up, which phones and the projector show it with, not while the room still agrees actions
    nodes.followupPanel.hidden = type !== "close";
    const followup = state.workshop.followup;
    const form = nodes.followupForm;
    if (followup && !form.contains(document.activeElement)) {
      form.elements.at.value = followup.at;
      form.elements.place.value = followup.place;
    }
    nodes.followupCurrent.textContent = followup
      ? format(t.followup_set, { when: [longMoment(followup.at, config.lang), followup.place].filter(Boolean).join(", ") }) : "";
    if (!visible) return;
    const items = state.actions.map(actionItem);
    nodes.actionList.replaceChildren(...(items.length ? items : [el("li", { class: "muted", text: t.no_actions })]));
    const linkSteps = new Set(state.workshop.steps.filter((s) => s.links_to).map((s) => s.id));
    const actionOf = new Map(state.actions.filter((a) => a.contribution_id).map((a) => [a.contribution_id, a]));
    const pledges = [...state.answers.values()].filter((a) => linkSteps.has(a.step) && !a.hidden).map((answer) => {
      const action = actionOf.get(answer.id);
      const make = action
        ? el("button", { type: "button", class: "link is-action", text: t.is_action, "aria-label": about(t.is_action, answer.text) })
        : el("button", { type: "button", class: "link", text: t.to_action, "aria-label": about(t.to_action, answer.text) });
      make.addEventListener("click", () => (action ? showAction(action.id) : fillForm({
        title: answer.text, owner_organisation: answer.organisation, contact_person: answer.author,
        contribution_id: answer.id, obstacle_id: answer.links_to,
      })));
      const obstacle = state.answers.get(answer.links_to);
      // data-key, not data-id: S puts answers in the spotlight, a contribution is not one of the wall's
      return el("li", { class: "board-answer", "data-key": `pledge-${answer.id}` },
        el("p", { class: "text", text: answer.text }),
        el("p", { class: "meta muted", text: [answer.organisation, obstacle ? `↳ ${obstacle.text}` : ""].filter(Boolean).join(" · ") }),
        make);
    });
    nodes.pledges.replaceChildren(...(pledges.length ? pledges : [el("li", { class: "muted", text: t.no_pledges })]));
    const select = nodes.actionForm.elements.obstacle_id;
    const chosen = select.value;
    select.replaceChildren(el("option", { value: "", text: t.dash }),
      ...obstacles().map((a) => el("option", { value: a.id, text: a.text })));
    select.value = chosen;
    document.getElementById("room-organisations").replaceChildren(
      ...Object.keys(state.room.organisations).map((name) => el("option", { value: name })));
  }

  // a contribution that is an action already leads to that action instead of offering a second one
  function showAction(id) {
    const item = nodes.actionList.querySelector(`[data-action="${Number(id)}"]`);
    if (!item) return;
    item.tabIndex = -1;
    item.scrollIntoView({ block: "center" });
    item.focus();
  }

  // steps can be changed only before the start (app/catalog/editor.py ensure_not_started)
  function renderEditLink() {
    const link = document.getElementById("edit-steps-link");
    if (link) link.hidden = state.workshop.step_index !== 0 || Boolean(state.workshop.closed);
  }

  nodes.followupForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const data = new FormData(nodes.followupForm);
    send("/followup", { at: data.get("at"), place: data.get("place") });
  });

  return {
    // the board's JSON call to this workshop, shared with the other panels
    send,
    render() {
      renderEditLink();
      renderClusters();
      renderActions();
    },
    onKey(event) {
      if (event.key.toLowerCase() === "m" && !nodes.clusterPanel.hidden) {
        event.preventDefault();
        mergeSelection();
        return true;
      }
      return false;
    },
  };
}
