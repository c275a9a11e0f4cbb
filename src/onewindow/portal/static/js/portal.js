// Progressive enhancement only: every page works without this file.
document.addEventListener("htmx:responseError", (event) => {
  // Show an error answer's HTML fragment where the request asked for it.
  const target = event.detail.target;
  if (target && event.detail.xhr.responseText) target.innerHTML = event.detail.xhr.responseText;
});
