// The web app's copy buttons: <button data-copy="ID"> copies the text of the field ID.
document.addEventListener("click", function (event) {
  var button = event.target.closest("button[data-copy]");
  if (!button) return;
  var field = document.getElementById(button.getAttribute("data-copy"));
  var done = document.getElementById(button.getAttribute("data-copy") + "-copied");
  field.select();
  var said = function () { if (done) { done.hidden = false; } };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(field.value).then(said, function () { document.execCommand("copy"); said(); });
  } else {
    document.execCommand("copy");
    said();
  }
});
