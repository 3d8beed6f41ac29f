// The payment page: fetch the PaymentIntent's client secret (POST), mount Stripe's
// payment element, and confirm; Stripe then returns the browser to the return page.
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("payment-config").textContent);
  var form = document.getElementById("payment-form");
  var button = document.getElementById("pay-button");
  var message = document.getElementById("payment-message");

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function show(text) {
    message.textContent = text;
  }

  function start() {
    if (typeof Stripe !== "function") {
      show("The payment form could not be loaded. Please reload the page.");
      return;
    }
    var stripe = Stripe(config.publishable_key);
    fetch(config.intent_url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), "Accept": "application/json" },
    })
      .then(function (response) {
        return response.json().then(function (body) {
          if (!response.ok) throw new Error(body.error || "The payment could not be started.");
          return body;
        });
      })
      .then(function (body) {
        var elements = stripe.elements({ clientSecret: body.client_secret });
        elements.create("payment").mount("#payment-element");
        button.disabled = false;
        form.addEventListener("submit", function (event) {
          event.preventDefault();
          button.disabled = true;
          show("");
          stripe
            .confirmPayment({ elements: elements, confirmParams: { return_url: config.return_url } })
            .then(function (result) {
              if (result.error) {
                show(result.error.message);
                button.disabled = false;
              }
            });
        });
      })
      .catch(function (error) {
        show(error.message);
      });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
