// "Copy" buttons: data-copy-target names the input whose value is copied; a status element says it worked.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-copy-target]");
  if (!button) return;
  const input = document.getElementById(button.dataset.copyTarget);
  const status = button.parentElement.querySelector("[data-copy-status]");
  const done = (ok) => { if (status) status.textContent = ok ? "Copied to the clipboard." : "Select the token and copy it."; };
  input.select();
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(input.value).then(() => done(true), () => done(document.execCommand("copy")));
  } else {
    done(document.execCommand("copy"));
  }
});
