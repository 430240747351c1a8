// F2, on any portal page: answer a call (only where the sidebar offers the call screen).
document.addEventListener("keydown", (event) => {
  if (event.key !== "F2" || event.altKey || event.ctrlKey || event.metaKey) return;
  if (document.body.classList.contains("call-screen")) return; // a call is on screen already
  const link = document.querySelector('a[href$="/admin/answer/"]');
  if (!link) return;
  event.preventDefault();
  window.location.assign(link.href);
});
