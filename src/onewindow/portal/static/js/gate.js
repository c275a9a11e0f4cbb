// The live gate view: briefly mark the passages that arrived with the last refresh.
// Progressive enhancement only: the page works (and refreshes through htmx) without it.
(() => {
  let before = null;
  const ids = () => new Set([...document.querySelectorAll("#live [data-passage]")].map((li) => li.dataset.passage));
  document.addEventListener("htmx:beforeSwap", (event) => {
    if (event.detail.target && event.detail.target.id === "live") before = ids();
  });
  document.addEventListener("htmx:afterSettle", () => {
    if (before === null) return;
    for (const li of document.querySelectorAll("#live [data-passage]")) {
      if (!before.has(li.dataset.passage)) li.classList.add("fresh");
    }
    before = null;
  });
})();
