// Escape closes the main navigation's open menus, as it does any menu. (A click outside
// already does: Pico covers the page with the open summary's ::before.)
document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape") return;
  for (const menu of document.querySelectorAll("nav details.dropdown[open]")) {
    menu.removeAttribute("open");
    menu.querySelector("summary").focus();
  }
});
