"""Texted sign-in codes below HTTP: what a wrong code asks to keep after its rollback,
and the refusals of a merchant that has switched the feature off."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from openpxs.domain.clock import ShiftedClock
from openpxs.domain.errors import DomainError, Reason
from openpxs.domain.intents import CountFailures, WearOutCodes
from openpxs.services import after_refusal, one_time_password
from openpxs.store.repositories.users import User
from openpxs.store.uow import UnitOfWork
from tests.api.guests import enroll
from tests.api.test_onetimepassword import PHONE, guest_config, texted_code

Run = Callable[..., Any]
# The instant every call below runs at: codes are checked against it.
NOW = ShiftedClock().now()
DIGITS = "6175550100"


def refused(in_unit_of_work: Run, work: Callable[[UnitOfWork], Any]) -> DomainError:
    with pytest.raises(DomainError) as caught:
        in_unit_of_work(work)
    return caught.value


async def sending(uow: UnitOfWork) -> None:
    await one_time_password.send_sms_code(uow, await uow.programs.load(1000), PHONE, NOW)


def redeeming(code: str) -> Callable[[UnitOfWork], Any]:
    async def work(uow: UnitOfWork) -> User:
        program = await uow.programs.load(1000)
        return await one_time_password.user_for_sms_code(uow, program, PHONE, code, NOW)

    return work


def test_a_wrong_code_wears_out_the_numbers_codes_once_rolled_back(
    client: TestClient, in_unit_of_work: Run
) -> None:
    enroll(client, "ada", mobilePhone=[PHONE])
    in_unit_of_work(sending)
    code = texted_code(client)
    wrong_code = "000000" if code != "000000" else "111111"

    wrong = refused(in_unit_of_work, redeeming(wrong_code))
    assert wrong.reason == Reason.INVALID_VERIFICATION_CODE
    worn, counted = wrong.intents
    assert isinstance(worn, WearOutCodes) and worn.target == DIGITS
    assert isinstance(counted, CountFailures)
    assert [limit.subject for limit in counted.limits] == [f"otp:{DIGITS}"]

    # Carried out as often as the code allows wrong tries, the code is used up.
    async def carry_out(uow: UnitOfWork) -> float:
        return await after_refusal.carry_out(uow, (worn,))

    for _ in range(5):
        in_unit_of_work(carry_out)
    assert refused(in_unit_of_work, redeeming(code)).reason == Reason.INVALID_VERIFICATION_CODE


def test_the_right_code_names_the_guest_once(client: TestClient, in_unit_of_work: Run) -> None:
    enroll(client, "ada", mobilePhone=[PHONE])
    in_unit_of_work(sending)
    code = texted_code(client)
    user: User = in_unit_of_work(redeeming(code))
    assert user.username == "ada"
    assert refused(in_unit_of_work, redeeming(code)).reason == Reason.INVALID_VERIFICATION_CODE


def test_a_merchant_without_the_feature_refuses_both_steps(
    client: TestClient, in_unit_of_work: Run
) -> None:
    enroll(client, "ada", mobilePhone=[PHONE])

    with guest_config(client, one_time_password_enabled=False):
        assert refused(in_unit_of_work, sending).reason == Reason.FEATURE_DISABLED
        assert refused(in_unit_of_work, redeeming("123456")).reason == Reason.FEATURE_DISABLED


def test_a_number_shared_by_two_guests_is_refused(client: TestClient, in_unit_of_work: Run) -> None:
    enroll(client, "ada", mobilePhone=[PHONE])
    enroll(client, "grace", mobilePhone=["617-555-0100"])

    assert refused(in_unit_of_work, sending).reason == Reason.DUPLICATE_PHONE_NUMBERS
