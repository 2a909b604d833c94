// A new calendar link, shown once (Mijn afspraken's, or the calendars page's): its copy button.
import { copyButtons } from "./copy.js";

copyButtons();
