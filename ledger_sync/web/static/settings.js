// The Accounting tab's behaviour, served as a file: the Content-Security-Policy allows no inline script.
// Connect opens the provider's consent page in a popup; if popups are blocked, it opens in this window.
document.querySelectorAll("a[data-popup]").forEach(function (link) {
  link.addEventListener("click", function (event) {
    var popup = window.open(link.href, "ledger-consent", "width=560,height=720");
    if (popup) { event.preventDefault(); popup.focus(); }
  });
});
// A form with data-confirm asks before it is sent (Disconnect).
document.querySelectorAll("form[data-confirm]").forEach(function (form) {
  form.addEventListener("submit", function (event) {
    if (!window.confirm(form.dataset.confirm)) { event.preventDefault(); }
  });
});
