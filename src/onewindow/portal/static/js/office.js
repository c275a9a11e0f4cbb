// The dashboard works without this file; it only shows a chart's value under the pointer
// (pygal draws the values into the SVG as <desc> elements; its own script is not loaded).
document.addEventListener("DOMContentLoaded", () => {
  const tip = document.createElement("div");
  tip.className = "office-tip";
  tip.hidden = true;
  tip.setAttribute("aria-hidden", "true");
  document.body.append(tip);

  for (const svg of document.querySelectorAll(".chart-card svg")) {
    const legends = [...svg.querySelectorAll(".legends .legend text")].map((t) => t.textContent);
    svg.addEventListener("mousemove", (event) => {
      const point = event.target.closest && event.target.closest(".bar, .dots");
      const value = point && point.querySelector("desc.value");
      if (!value) {
        tip.hidden = true;
        return;
      }
      const label = point.querySelector("desc.x_label");
      const series = point.closest(".series");
      const index = series ? Number((series.getAttribute("class").match(/serie-(\d+)/) || [])[1]) : NaN;
      const parts = [label && label.textContent, legends[index], value.textContent].filter(Boolean);
      tip.textContent = parts.join(" · ");
      tip.hidden = false;
      tip.style.left = `${Math.min(event.clientX + 14, window.innerWidth - tip.offsetWidth - 8)}px`;
      tip.style.top = `${event.clientY + 14}px`;
    });
    svg.addEventListener("mouseleave", () => {
      tip.hidden = true;
    });
  }
});
