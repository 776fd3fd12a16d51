from fastapi.testclient import TestClient

from tests.api.pos import GIFT, add_redeem, balance, sell, sv


def test_sell_and_redeem(client: TestClient) -> None:
    sold = sell(client)
    assert sold["result"] == "authorizedSuccess", sold
    assert sold["addWalletContents"][0]["quantity"] == "25.00"
    redeemed = add_redeem(client, redeem=sv("10.00"))
    assert redeemed["result"] == "authorizedSuccess", redeemed
    assert redeemed["svCurrentBalance"] == "15.00"
    assert balance(client, GIFT)["svCurrentBalance"] == "15.00"
