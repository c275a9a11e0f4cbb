// Progressive enhancement of the officer's dossier page; the page works without this file (the
// annotations are listed with their regions, and the region is typed into the form's fields).
// - draws every agency's annotated regions over the scan image;
// - lets the officer drag (or click) on the image to fill in the region of a new annotation.
(() => {
  "use strict";

  const scale = (img) => ({ x: img.naturalWidth / img.clientWidth, y: img.naturalHeight / img.clientHeight });

  const place = (el, img, x, y, w, h) => {
    el.style.left = `${(100 * x) / img.naturalWidth}%`;
    el.style.top = `${(100 * y) / img.naturalHeight}%`;
    el.style.width = `${(100 * w) / img.naturalWidth}%`;
    el.style.height = `${(100 * h) / img.naturalHeight}%`;
  };

  const mark = (stage, img, className, text, x, y, w, h) => {
    const m = document.createElement("div");
    m.className = className;
    m.setAttribute("aria-hidden", "true");
    const tag = document.createElement("span");
    tag.textContent = text;
    m.appendChild(tag);
    place(m, img, x, y, w, h);
    stage.appendChild(m);
    return m;
  };

  const draw = (figure) => {
    const img = figure.querySelector("img");
    const stage = figure.querySelector(".scan-stage");
    const list = document.getElementById(figure.dataset.notes);
    if (!img || !stage || !list || !img.naturalWidth) return;
    stage.querySelectorAll(".mark:not(.draft)").forEach((m) => m.remove());
    list.querySelectorAll("li[data-x]").forEach((li) => {
      const d = li.dataset;
      mark(stage, img, `mark agency-${d.agency}`, d.label, +d.x, +d.y, +d.w, +d.h);
    });
  };

  const field = (form, name) => form && form.querySelector(`[name="${name}"]`);

  const enableDrawing = (figure) => {
    const img = figure.querySelector("img");
    const stage = figure.querySelector(".scan-stage");
    const form = document.getElementById(figure.dataset.form);
    if (!img || !stage || !form) return;
    let start = null;
    let draft = null;
    const at = (e) => {
      const r = img.getBoundingClientRect();
      const s = scale(img);
      const x = Math.min(Math.max(e.clientX - r.left, 0), r.width) * s.x;
      const y = Math.min(Math.max(e.clientY - r.top, 0), r.height) * s.y;
      return { x: Math.round(x), y: Math.round(y) };
    };
    const box = (a, b) => {
      let x = Math.min(a.x, b.x), y = Math.min(a.y, b.y);
      let w = Math.abs(a.x - b.x), h = Math.abs(a.y - b.y);
      if (w < 8 && h < 8) {
        // a click: a square around the point, a tenth of the image's height
        const side = Math.max(16, Math.round(img.naturalHeight / 10));
        x = Math.max(0, Math.min(a.x - side / 2, img.naturalWidth - side));
        y = Math.max(0, Math.min(a.y - side / 2, img.naturalHeight - side));
        w = side; h = side;
      }
      return { x: Math.round(x), y: Math.round(y), w: Math.max(1, Math.round(w)), h: Math.max(1, Math.round(h)) };
    };
    const show = (b) => {
      if (!draft) draft = mark(stage, img, "mark draft", "+", b.x, b.y, b.w, b.h);
      place(draft, img, b.x, b.y, b.w, b.h);
    };
    img.addEventListener("pointerdown", (e) => {
      if (!img.naturalWidth) return;
      e.preventDefault();
      start = at(e);
      img.setPointerCapture(e.pointerId);
    });
    img.addEventListener("pointermove", (e) => {
      if (start) show(box(start, at(e)));
    });
    // on a touch screen a drag scrolls the page (the browser cancels the pointer): a tap places a square
    img.addEventListener("pointercancel", () => {
      start = null;
    });
    img.addEventListener("pointerup", (e) => {
      if (!start) return;
      const b = box(start, at(e));
      start = null;
      show(b);
      field(form, "x").value = b.x;
      field(form, "y").value = b.y;
      field(form, "width").value = b.w;
      field(form, "height").value = b.h;
      field(form, "note").focus();
    });
    // typing the numbers moves the draft too
    ["x", "y", "width", "height"].forEach((name) => {
      field(form, name).addEventListener("input", () => {
        const v = ["x", "y", "width", "height"].map((n) => parseInt(field(form, n).value, 10));
        if (v.every((n) => Number.isFinite(n)) && img.naturalWidth) show({ x: v[0], y: v[1], w: v[2], h: v[3] });
      });
    });
  };

  const init = () => {
    // a form sent back with errors: take the officer to the first field to correct
    const invalid = document.querySelector('[aria-invalid="true"]');
    if (invalid) invalid.focus();
    document.querySelectorAll("figure.scan").forEach((figure) => {
      const img = figure.querySelector("img");
      if (!img) return;
      if (img.complete) draw(figure);
      img.addEventListener("load", () => draw(figure));
      enableDrawing(figure);
    });
  };

  document.addEventListener("DOMContentLoaded", init);
  // the annotations list is refreshed in place (htmx): redraw the regions from it
  document.addEventListener("htmx:afterSettle", () => document.querySelectorAll("figure.scan").forEach(draw));
})();
