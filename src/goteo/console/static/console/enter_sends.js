// In a form that holds more than one action (the editor: save, or test-send the unsaved text),
// Enter in a field inside <section data-enter-button="ID"> presses the button ID, not the
// form's first button (which would save a new version).
document.addEventListener("keydown", function (event) {
  if (event.key !== "Enter" || event.isComposing) return;
  var field = event.target;
  if (!(field instanceof HTMLInputElement)) return;
  var section = field.closest("[data-enter-button]");
  if (!section) return;
  var button = document.getElementById(section.getAttribute("data-enter-button"));
  if (!button) return;
  event.preventDefault();
  button.click();
});
