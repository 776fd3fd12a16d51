"""Request and reply objects of the Balance Transfer Service (balancetransfer.yaml)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from openpxs.api.guest_request import GuestRequest
from openpxs.wire.types import FlexStr, ReplyModel

CardNumber = Annotated[FlexStr, Field(max_length=64)]


class TransferBalancesRequest(GuestRequest):
    printedCardNumber: CardNumber | None = Field(
        default=None, description="The receiving card; the caller must be entitled to it."
    )
    fromPrintedCardNumber: CardNumber | None = Field(
        default=None, description="The card whose balances move."
    )
    mustTransferAllWalletBalances: bool | None = Field(
        default=None,
        description="True: fail, moving nothing, unless every balance can move.",
    )
    mustTransferAllWallets: bool | None = Field(
        default=None, description="The older name of mustTransferAllWalletBalances."
    )
    fromRegCode: Annotated[FlexStr, Field(max_length=64)] | None = Field(
        default=None, description="Registration code printed on the source card."
    )

    @property
    def must_transfer_all(self) -> bool:
        current = self.mustTransferAllWalletBalances
        return bool(current if current is not None else self.mustTransferAllWallets)


class TransferBalancesReply(ReplyModel):
    result: str = "success"
