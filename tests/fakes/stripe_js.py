"""A stand-in for Stripe.js in front of localstripe, for the guest website's browser
tests: a card element (plain labelled fields) and ``confirmCardPayment``, served from an
origin of its own as js.stripe.com serves Stripe.js.

localstripe ships a fake Stripe.js too, but its ``confirmCardPayment`` only completes a
3-D Secure challenge: it cannot pay an intent that has no card yet, which is what the
site's payment page asks of it. This one sends the card, as Stripe.js does, to the
processor's side only (this server), which puts it on the intent at localstripe and
confirms the intent with the secret key. The site never receives it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from typing import Any

import httpx

from tests.fakes.localstripe import SECRET_KEY, LocalStripe
from tests.fakes.servers import serving

SCRIPT = """
(function () {
  "use strict";
  var base = document.currentScript.src.replace(/\\/v3\\/?$/, "");
  window.Stripe = function (key) {
    return {
      elements: function () {
        return {
          create: function () {
            var inputs = {};
            return {
              mount: function (where) {
                var root = document.querySelector(where);
                [["number", "Card number"], ["exp", "Expiry (MM/YY)"], ["cvc", "CVC"]]
                  .forEach(function (field) {
                    var label = document.createElement("label");
                    var input = document.createElement("input");
                    label.textContent = field[1] + " ";
                    input.autocomplete = "off";
                    label.appendChild(input);
                    root.appendChild(label);
                    inputs[field[0]] = input;
                  });
              },
              _card: function () {
                return {number: inputs.number.value, exp: inputs.exp.value,
                        cvc: inputs.cvc.value};
              }
            };
          }
        };
      },
      confirmCardPayment: function (secret, data) {
        return fetch(base + "/v1/confirm", {
          method: "POST",
          headers: {"Content-Type": "text/plain"},
          body: JSON.stringify({key: key, client_secret: secret,
                                card: data.payment_method.card._card()})
        }).then(function (reply) { return reply.json(); });
      }
    };
  };
})();
"""


def _confirm(localstripe: LocalStripe, sent: dict[str, Any]) -> dict[str, Any]:
    """The card put on the intent and the intent confirmed, or Stripe's error."""
    intent = str(sent["client_secret"]).split("_secret_")[0]
    card = sent["card"]
    month, _, year = str(card["exp"]).partition("/")
    auth = (SECRET_KEY, "")
    made = httpx.post(
        f"{localstripe.url}/v1/payment_methods",
        data={
            "type": "card",
            "card[number]": card["number"].replace(" ", ""),
            "card[exp_month]": month.strip(),
            "card[exp_year]": f"20{year.strip()}",
            "card[cvc]": card["cvc"],
        },
        auth=auth,
    )
    if made.status_code != 200:
        return {"error": made.json().get("error", {"message": "invalid card"})}
    url = f"{localstripe.url}/v1/payment_intents/{intent}"
    httpx.post(url, data={"payment_method": made.json()["id"]}, auth=auth).raise_for_status()
    confirmed = httpx.post(f"{url}/confirm", auth=auth)
    body: dict[str, Any] = confirmed.json()
    if body.get("status") not in ("requires_capture", "succeeded"):
        # Declined: Stripe.js answers with the error and the intent stays unpaid.
        error = body.get("error") or body.get("last_payment_error")
        return {"error": error or {"message": "Your card was declined."}}
    return {"paymentIntent": body}


@contextmanager
def running_stripe_js(localstripe: LocalStripe) -> Iterator[str]:
    """The fake's address (its script is at ``<address>/v3/``) while the block runs."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _reply(self, body: bytes, media_type: str) -> None:
            self.send_response(200)
            self.send_header("Content-Type", media_type)
            self.send_header("Access-Control-Allow-Origin", "*")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            self._reply(SCRIPT.encode(), "text/javascript")

        def do_POST(self) -> None:
            sent = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            self._reply(json.dumps(_confirm(localstripe, sent)).encode(), "application/json")

    with serving(Handler) as url:
        yield url
