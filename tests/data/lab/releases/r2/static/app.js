// Lab Hotel booking form, r2: "new date picker". A typo disables the button.
const bookingEnabled = flase;
document.getElementById("booking").addEventListener("submit", function (ev) {
  ev.preventDefault();
  if (!bookingEnabled) return;
  fetch("/api/bookings", { method: "POST", body: new FormData(ev.target) });
});
