// Signing out takes with it what the office's pages kept in this tab, for the next person at a shared laptop: the
// board's suggested piles (board_suggest.js), in sessionStorage. Only that: a phone in the same browser keeps its
// unsent answers in localStorage, which stays (app/accounts/router.py says why the sign-out clears no storage).
for (const form of document.querySelectorAll("form[data-sign-out]")) {
  form.addEventListener("submit", () => {
    try {
      sessionStorage.clear();
    } catch {
      // the browser keeps no storage for this site: there is nothing to take away
    }
  });
}
