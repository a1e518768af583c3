// Back in the window that opened the consent popup: reload it (it shows the outcome) and close.
(function () {
  var target = document.getElementById("popup").dataset.target;
  if (!target) { return; }
  if (window.opener && !window.opener.closed) {
    window.opener.location.reload();
    window.close();
  } else {
    window.location.replace(target);
  }
})();
