// The guest website's card payment page: the processor's card element (Stripe.js,
// loaded just before this file) takes the card; this file only mounts it, confirms the
// payment with the intent's client secret and goes on to the return page, which
// captures. The card number never passes through the site.
(function () {
  "use strict";
  var form = document.getElementById("pay-card");
  var problem = document.getElementById("card-problem");
  if (!form || typeof Stripe !== "function") {
    return;
  }
  var stripe = Stripe(form.dataset.key);
  var card = stripe.elements().create("card");
  card.mount("#card-element");
  form.hidden = false;
  document.getElementById("card-unavailable").hidden = true;
  var button = form.querySelector("button");

  function refused(reason) {
    problem.textContent = form.dataset.refused.replace("{reason}", reason);
    problem.hidden = false;
    button.disabled = false;
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    button.disabled = true;
    problem.hidden = true;
    stripe
      .confirmCardPayment(form.dataset.secret, { payment_method: { card: card } })
      .then(
        function (result) {
          if (result.error) {
            refused(result.error.message || String(result.error));
            return;
          }
          window.location.assign(form.dataset.return);
        },
        function (error) {
          // Stripe could not be reached: nothing was paid, the guest may try again.
          refused(String(error && error.message ? error.message : error));
        }
      );
  });
})();
