// The call dialog: a customer chosen from Thulium's CRM (customer_search.html) fills the
// number and customer_id; the campaigns already calling the number are then asked for.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-choose-customer]");
    if (!button) return;
    var form = button.closest("form");
    var phone = form.querySelector("input[name=phone_number]");
    form.querySelector("input[name=customer_id]").value = button.dataset.customerId || "";
    phone.value = button.dataset.phone || "";
    phone.dispatchEvent(new Event("change", { bubbles: true }));
    phone.focus();
  });
  // Typing another number: it is no longer the chosen customer's.
  document.addEventListener("input", function (event) {
    if (event.target.name !== "phone_number") return;
    var id = event.target.form && event.target.form.querySelector("input[name=customer_id]");
    if (id) id.value = "";
  });
})();
