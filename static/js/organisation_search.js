// Finding an organisation by what someone types: every typed word starts a word of one of its names (name, short
// name, aliases), whatever the case or accents. app/organisations/service.py (matches) applies the same rule to the
// office's list; tests/organisations/search_cases.json holds the two to the same cases.

/** The words of a text as searching compares them: accents off, lower case ("Zuyderländ" gives "zuyderland"). */
export function searchWords(text) {
  return text.normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase().match(/[\p{L}\p{N}]+/gu) || [];
}

/** Whether every typed word starts a word of one of the names ("gem hee" finds "Gemeente Heerlen"). */
export function matches(query, names) {
  const words = names.flatMap(searchWords);
  return searchWords(query).every((typed) => words.some((word) => word.startsWith(typed)));
}

/**
 * The choices to suggest for a typed text, at most `limit`: those found by their own name first, then those found
 * by another name (`via` says which). `choices` are {name, also: [other names]}, in the order to show them.
 */
export function suggest(query, choices, limit = 6) {
  if (!searchWords(query).length) return [];
  const byName = [];
  const byOther = [];
  for (const choice of choices) {
    if (matches(query, [choice.name])) {
      byName.push({ name: choice.name, via: null });
    } else if (matches(query, [choice.name, ...choice.also])) {
      const via = choice.also.find((name) => matches(query, [name])) ?? null;
      byOther.push({ name: choice.name, via });
    }
  }
  return [...byName, ...byOther].slice(0, limit);
}
