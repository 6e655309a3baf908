"""Rows for contribution and payment tests: a logged-in chat, a registered employer, employees."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from backend.db import get_sessionmaker
from backend.models import Conversation, Employee, Employer, PortalAccount

EMPLOYER_CODE = "E1100050233Z"


def seed(
    settings,
    email: str = "boss@example.com",
    sender_id: str = "web-boss",
    code: str = EMPLOYER_CODE,
    state: str = "Selangor",
) -> dict[str, int]:  # type: ignore[no-untyped-def]  # noqa: E501
    """Account + logged-in conversation + registered employer + three employees."""
    with get_sessionmaker(settings.database_url)() as db:
        account = PortalAccount(
            email=email,
            full_name="Tan Ah Kow",
            mykad="850315105123",
            mobile="+60123456789",
            company_name="Tan Hardware Sdn Bhd",
            company_role="Owner",
            must_change_password=False,
            terms_accepted_at=datetime(2026, 1, 1),
        )
        db.add(account)
        db.flush()
        db.add(
            Conversation(sender_id=sender_id, channel="web", account_id=account.id, last_buttons=[])
        )
        employer = Employer(
            reference=f"CRN{account.id:014d}",
            account_id=account.id,
            registration_type="employer",
            status="registered",
            employer_name="TAN HARDWARE SDN BHD",
            registration_no="201901000005",
            address_line1="12 Jalan Besar",
            postcode="43000",
            city="Kajang",
            state=state,
            employer_code=code,
        )
        db.add(employer)
        db.flush()
        people = [
            ("900101145678", "Siti Nurhaliza binti Ahmad", date(1990, 1, 1), "1950.00", "local"),
            ("850315105123", "Tan Ah Kow", date(1985, 3, 15), "3000.00", "local"),
            ("A12345678", "Rahim Uddin", date(1995, 5, 5), "1700.00", "foreign"),
        ]
        ids = []
        for id_no, name, born, wage, residency in people:
            emp = Employee(
                employer_id=employer.id,
                residency=residency,
                worker_type="regular",
                id_type="mykad" if residency == "local" else "passport",
                id_no=id_no,
                ssfw_no="123456789012" if residency == "foreign" else None,
                name=name,
                date_of_birth=born,
                gender="female",
                start_date=date(2024, 1, 1),
                monthly_wage=Decimal(wage),
                status="registered",
            )
            db.add(emp)
            db.flush()
            ids.append(emp.id)
        db.commit()
        return {"account_id": account.id, "employer_id": employer.id, "employee_ids": ids}  # type: ignore[dict-item]
