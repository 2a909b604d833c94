// The register: tick every action on this page at once, and see how many are ticked on the button that sends them.
const form = document.getElementById("discuss-form");
const all = document.querySelector("[data-pick-all]");
const picked = document.querySelector("[data-picked]");
const boxes = [...document.querySelectorAll('input[name="action"]')];

function update() {
  const count = boxes.filter((box) => box.checked).length;
  picked.hidden = count === 0;
  picked.textContent = String(count);
  all.checked = count > 0 && count === boxes.length;
  all.indeterminate = count > 0 && count < boxes.length;
}

if (form && all && picked && boxes.length) {
  all.hidden = false;
  all.addEventListener("change", () => {
    for (const box of boxes) box.checked = all.checked;
    update();
  });
  for (const box of boxes) box.addEventListener("change", update);
  update();
}
