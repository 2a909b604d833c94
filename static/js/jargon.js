// Jargon in a text: the same rules as app/plain/service.py (find_jargon); tests/plain/jargon_cases.json holds both to them.
import { el, format } from "./live.js";

const VOWELS = "aeiou";
// letters and digits: a word starts where the character before it is neither
const WORD_CHAR = "[\\p{L}\\p{N}]";
const MAX_TIPS = 3;
const compiled = new WeakMap();

// How inflected forms of one word begin (lower case): the word itself, and its Dutch spelling changes.
export function wordForms(word) {
  const w = word.toLowerCase();
  const at = (i) => w.charAt(w.length + i); // at(-1) is the last character
  const forms = [w];
  // a long vowel is written once in an open syllable: integraal → integrale
  if (w.length >= 5 && !VOWELS.includes(at(-1)) && VOWELS.includes(at(-2)) && at(-3) === at(-2)) {
    forms.push(w.slice(0, -2) + at(-1));
  }
  // a verb or plural in -en: its stem (borgen → borgt, afstemmen → afstemming)
  if (w.length >= 6 && w.endsWith("en") && !VOWELS.includes(at(-3))) {
    const stem = w.slice(0, -2);
    const s = (i) => stem.charAt(stem.length + i);
    if (s(-1) === s(-2)) {
      forms.push(stem.slice(0, -1));
    } else {
      forms.push(stem);
      // the stem closes the syllable, so a long vowel is written double: opschalen → opschaalt
      if ("aeou".includes(s(-2)) && !VOWELS.includes(s(-3))) forms.push(stem.slice(0, -1) + s(-2) + s(-1));
    }
    // the noun of a verb in -eren: implementeren → implementatie
    if (w.endsWith("eren")) forms.push(`${w.slice(0, -4)}atie`);
  }
  // a plural in -ers: stakeholders → stakeholder
  if (w.length >= 5 && w.endsWith("ers")) forms.push(w.slice(0, -1));
  // a form that begins with a shorter one adds nothing: the shorter one already finds it
  const unique = [...new Set(forms)];
  return unique.filter((f) => !unique.some((o) => o !== f && f.startsWith(o)));
}

function escape(text) {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

function matcher(words) {
  let found = compiled.get(words);
  if (found) return found;
  // longest entries first, so a phrase wins over its own words ([...s] counts characters as Python does)
  const entries = Object.keys(words).sort((a, b) => [...b].length - [...a].length);
  const groups = entries.map((entry) => {
    const parts = entry.split(/\s+/).filter(Boolean)
      .map((part) => `(?:${wordForms(part).map(escape).join("|")})${WORD_CHAR}*`);
    // the words of a phrase may be apart by any run of spaces or a line break
    return `(${parts.join("\\s+")})`;
  });
  found = { regex: new RegExp(`(?<!${WORD_CHAR})(?:${groups.join("|")})`, "giu"), entries };
  compiled.set(words, found);
  return found;
}

// The list's words found in a text: [{ word, suggestion, count }] in order of first appearance.
export function findJargon(text, words) {
  if (!text || !words || !Object.keys(words).length) return [];
  const { regex, entries } = matcher(words);
  const found = new Map();
  for (const match of text.matchAll(regex)) {
    const word = entries[match.findIndex((group, i) => i > 0 && group !== undefined) - 1];
    const item = found.get(word) || { word, suggestion: words[word], count: 0 };
    item.count += 1;
    found.set(word, item);
  }
  return [...found.values()];
}

function tip(template, word, suggestion) {
  // the word itself stands out, so a glance finds it
  const line = el("p", { class: "jargon-tip" });
  format(template, { suggestion }).split("{word}").forEach((part, i) => {
    if (i) line.append(el("strong", { text: word }));
    line.append(part);
  });
  return line;
}

// Fills a hint node (see _partials/_jargon_hint.html) for what is typed; returns the function to call on input.
export function jargonHint(node, words) {
  let shown = "";
  return (text) => {
    const found = findJargon(text, words).slice(0, MAX_TIPS);
    const key = found.map((item) => item.word).join("\n");
    // a live region is read out on every change: only change it when the words do, not on every key
    if (key === shown) return;
    shown = key;
    if (!found.length) {
      node.replaceChildren();
      return;
    }
    const t = node.dataset;
    node.replaceChildren(el("div", { class: "jargon-hint" },
      el("p", { class: "jargon-title", text: t.title }),
      ...found.map(({ word, suggestion }) => tip(suggestion ? t.tip : t.ask, word, suggestion)),
      el("p", { class: "jargon-note", text: t.note })));
  };
}
