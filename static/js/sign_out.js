// Signing out takes with it what the office's pages kept in this tab, for the next person at a shared laptop: the
// board's suggested piles (board_suggest.js), in sessionStorage. Only that: a phone in the same browser keeps its
// unsent answers in localStorage, which stays (app/auth.py, sign_out, says why the sign-out clears no storage).
function forgetTab() {
  try {
    sessionStorage.clear();
  } catch {
    // the browser keeps no storage for this site: there is nothing to take away
  }
}

for (const form of document.querySelectorAll("form[data-sign-out]")) form.addEventListener("submit", forgetTab);

// A tab that shows the sign-in form is signed out, however that came about: in another tab, everywhere from another
// computer, by leaving the workspace, or a session that ran out. The board's next request brings it here.
if (document.querySelector("[data-signed-out]")) forgetTab();
