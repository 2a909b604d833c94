// The jargon list page: try a sentence and see the tip a phone would give, with the saved list.
import { readConfig } from "./live.js";
import { jargonHint } from "./jargon.js";

const config = readConfig("jargon-config");
const input = document.getElementById("jargon-try");
const showHint = jargonHint(document.querySelector(".jargon-try .jargon-slot"), config.words);
input.addEventListener("input", () => showHint(input.value));
showHint(input.value);
