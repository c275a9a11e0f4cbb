// The declaration form's progressive enhancement; the form works without it (checked on submit).
(function () {
  "use strict";
  const form = document.querySelector("form[data-check]");

  // Only the fields the user has touched show their errors while typing.
  const touched = new Set();
  function remember(event) {
    const field = event.target;
    if (!form || !field.name || field.form !== form) return;
    if (field.dataset.upper !== undefined) {
      const at = field.selectionStart;
      const upper = field.value.toUpperCase();
      if (upper !== field.value) {
        field.value = upper;
        if (at !== null) field.setSelectionRange(at, at);
      }
    }
    touched.add(field.name);
    const holder = document.getElementById("touched");
    if (holder) holder.value = Array.from(touched).join(",");
  }
  document.addEventListener("input", remember, true);
  document.addEventListener("change", remember, true);

  // "Check everything" asks the check for every field at once when htmx is there.
  document.addEventListener("click", (event) => {
    const button = event.target.closest("button[value='check']");
    if (!form || !button || !window.htmx || button.form !== form) return;
    event.preventDefault();
    form.querySelectorAll("input, select, textarea").forEach((el) => el.name && touched.add(el.name));
    document.getElementById("touched").value = "*";
    window.htmx.trigger(form, "input");
  });

  // Each error slot says whether its field is invalid (the check replaces the slots out of band).
  function sync() {
    document.querySelectorAll(".field-error[data-for]").forEach((slot) => {
      const field = document.getElementById(slot.dataset.for);
      if (!field) return;
      if (slot.textContent.trim()) field.setAttribute("aria-invalid", "true");
      else field.removeAttribute("aria-invalid");
    });
  }
  document.addEventListener("htmx:afterSettle", sync);
  document.addEventListener("htmx:oobAfterSwap", sync);

  // A document uploaded from the form is ticked: check the form again with it.
  document.addEventListener("htmx:afterSettle", (event) => {
    if (form && event.target && event.target.id === "upload-result") {
      const file = document.getElementById("upload-file");
      if (file) file.value = "";
      window.htmx.trigger(form, "input");
    }
  });
})();
