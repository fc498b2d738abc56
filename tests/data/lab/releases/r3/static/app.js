// Lab Hotel booking form: posts the form to the booking API.
const bookingEnabled = true;
document.getElementById("booking").addEventListener("submit", function (ev) {
  ev.preventDefault();
  if (!bookingEnabled) return;
  fetch("/api/bookings", { method: "POST", body: new FormData(ev.target) });
});
