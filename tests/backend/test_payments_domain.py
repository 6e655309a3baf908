"""Payment limits, cart splitting, the state machine, the FPX simulator and ACR/ECR numbers."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal as D

import pytest

from backend.domain import payments as p
from backend.domain.contribution_refs import (
    ReferenceError_,
    is_own,
    make_reference,
    parse_reference,
)
from backend.domain.fpx import AuthorisationRequest, FpxSimulator


def test_transitions() -> None:
    assert p.apply_outcome(p.CREATED, "00", "B2C") == p.Move(p.SUCCESSFUL, True)
    assert p.apply_outcome(p.CREATED, "51", "B2C") == p.Move(p.FAILED, True)
    assert p.apply_outcome(p.CREATED, "99", "B2B1") == p.Move(p.PENDING_AUTHORISER, True)
    assert p.apply_outcome(p.PENDING_AUTHORISER, "00", "B2B1") == p.Move(p.SUCCESSFUL, True)
    assert p.apply_outcome(p.PENDING_AUTHORISER, "80", "B2B1") == p.Move(p.FAILED, True)
    # Replays are no-ops.
    assert p.apply_outcome(p.SUCCESSFUL, "00", "B2C") == p.Move(p.SUCCESSFUL, False)
    assert p.apply_outcome(p.PENDING_AUTHORISER, "99", "B2B1").changed is False
    # A final state never changes.
    with pytest.raises(p.PaymentError) as exc:
        p.apply_outcome(p.FAILED, "00", "B2C")
    assert exc.value.code == "already_final"
    with pytest.raises(p.PaymentError) as exc:
        p.apply_outcome(p.SUCCESSFUL, "51", "B2C")
    assert exc.value.code == "already_final"
    with pytest.raises(p.PaymentError) as exc:
        p.apply_outcome(p.CREATED, "99", "B2C")
    assert exc.value.code == "pending_not_b2b1"


def test_limits() -> None:
    p.check_amount("B2C", D("1.00"))
    p.check_amount("B2C", D("30000.00"))
    p.check_amount("B2B1", D("1000000.00"))
    for model, amount, code in [
        ("B2C", "0.99", "below_minimum"),
        ("B2C", "30000.01", "above_maximum"),
        ("B2B1", "1.99", "below_minimum"),
        ("B2B1", "1000000.01", "above_maximum"),
    ]:
        with pytest.raises(p.PaymentError) as exc:
            p.check_amount(model, D(amount))
        assert exc.value.code == code
    with pytest.raises(p.PaymentError):
        p.check_amount("B2X", D("5"))


def item(ref: str, amount: str) -> p.CartItem:
    return p.CartItem(ref, D(amount))


def test_split_cart() -> None:
    groups = p.split_cart(
        [item("ACR1", "20000"), item("ACR2", "15000"), item("ECR3", "9000")], "B2C"
    )
    assert [[i.reference for i in g] for g in groups] == [["ACR1", "ECR3"], ["ACR2"]]
    assert all(sum(i.amount for i in g) <= D("30000") for g in groups)
    assert len(p.split_cart([item("ACR1", "20000"), item("ACR2", "15000")], "B2B1")) == 1
    for items, model, code in [
        ([item("ACR1", "30000.01")], "B2C", "item_above_maximum"),
        ([item("ACR1", "0.50")], "B2C", "below_minimum"),
        ([item("ACR1", "1.50")], "B2B1", "below_minimum"),
        ([], "B2C", "empty_cart"),
        ([item("ACR1", "5"), item("ACR1", "5")], "B2C", "duplicate_item"),
        ([item("ACR1", "29999.50"), item("ACR2", "0.60")], "B2C", "part_below_minimum"),
    ]:
        with pytest.raises(p.PaymentError) as exc:
            p.split_cart(items, model)
        assert exc.value.code == code


def test_simulator() -> None:
    sim = FpxSimulator()
    banks = sim.bank_list("B2C")
    assert any(b.name == "SBI Bank A" and b.active for b in banks)
    assert any(not b.active for b in banks)
    assert [b.display_name for b in banks if not b.active] == ["SBI Bank D (Offline)"]
    req = AuthorisationRequest("PAY000001", D("43.90"), "B2C", "TEST0021", "a@b.c", "ACR")
    auth = sim.authorise(req, datetime(2026, 11, 26, 9, 30))
    assert len(auth.fpx_txn_id) == 16 and auth.fpx_txn_id.startswith("261126093000")
    ok = sim.result(auth, req, "00")
    assert (ok.state, ok.debit_auth_code, ok.bank_name) == ("successful", "00", "SBI Bank A")
    assert sim.result(auth, req, "1A").state == "failed"
    with pytest.raises(p.PaymentError):
        sim.result(auth, req, "99")
    b2b = AuthorisationRequest("PAY2", D("43.90"), "B2B1", "TEST0021", "a@b.c", "ACR")
    assert sim.result(sim.authorise(b2b, datetime(2026, 1, 1)), b2b, "99").state == (
        "pending_authoriser"
    )
    for bank, code in [("TEST0024", "bank_offline"), ("NOPE", "unknown_bank")]:
        with pytest.raises(p.PaymentError) as exc:
            sim.authorise(
                AuthorisationRequest("X", D("5"), "B2C", bank, "a@b.c", ""), datetime(2026, 1, 1)
            )
        assert exc.value.code == code
    with pytest.raises(p.PaymentError):
        sim.result(auth, req, "ZZ")


def test_references() -> None:
    acr = make_reference("act4", (2026, 10), 42)
    assert acr.startswith("ACR2610") and len(acr) == 15 and is_own(acr)
    ecr = make_reference("act800", (2026, 10), 42)
    assert ecr.startswith("ECR") and is_own(ecr)
    assert not is_own(acr[:-1] + str((int(acr[-1]) + 1) % 10))
    assert parse_reference("acr 2610-0000042" + acr[-1]) == acr
    with pytest.raises(ReferenceError_):
        parse_reference("ACR123")
    with pytest.raises(ReferenceError_):
        make_reference("both", (2026, 10), 1)
