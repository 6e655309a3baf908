"""QRG 5–6: contributions per employer and month — draft, complete, submit, import, text file.

Every call names the chat (``sender_id``); the account is the one logged in on that chat
(``conversations.account_id``), and an employer of another account is simply "not found".
Amounts come from :mod:`backend.domain.contributions` (the rate tables), never from the caller.
"""

from __future__ import annotations

import base64
import logging
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.domain import business_days, deadlines, textfile
from backend.domain import contributions as domain
from backend.domain.contribution_refs import make_reference
from backend.domain.money import format_ringgit
from backend.domain.rates import WorkerFacts, ceiling_for
from backend.domain.rates import load_tables as rates_tables
from backend.errors import ApiError
from backend.models import Contribution, ContributionLine, Employee, Employer, PortalAccount
from backend.services import files
from backend.services.acting import resolve_actor
from backend.settings import VAR_DIR, Settings

log = logging.getLogger(__name__)

TYPES = ("Monthly", "Arrears", "Short")
ACTS = ("act4", "act800", "both")


class ContributionSettings(BaseSettings):
    """Unconfirmed rules kept in configuration (environment or var/secrets.env)."""

    model_config = SettingsConfigDict(
        env_prefix="", extra="ignore", env_file=VAR_DIR / "secrets.env", env_file_encoding="utf-8"
    )

    due_date_roll_back: bool = False
    fclb_rounding_step: Decimal = Decimal("5.00")
    fclb_minimum_per_late_month: bool = True
    pending_months_back: int = 12
    # The bank page where a tester picks the FPX answer, and its callback. Switch it off when a
    # real gateway adapter (with its own signed callback) is configured.
    fpx_simulator_enabled: bool = True

    def fclb_rules(self) -> deadlines.FclbRules:
        return deadlines.FclbRules(
            rounding_step=self.fclb_rounding_step,
            minimum_per_late_month=self.fclb_minimum_per_late_month,
        )


def config() -> ContributionSettings:
    return ContributionSettings()


# --- who is asking -------------------------------------------------------------------------


def acting_account(db: Session, sender_id: str) -> PortalAccount:
    """The registration engineer's resolver (401 not logged in, 403 terms not accepted)."""
    return resolve_actor(db, sender_id).account


def employer_of(db: Session, account: PortalAccount, employer_id: int) -> Employer:
    """The account's own registered employer, else 404 (another account's looks the same)."""
    employer = db.get(Employer, employer_id)
    if employer is None or employer.account_id != account.id:
        raise ApiError(404, "employer_not_found", "no such employer on this account")
    if not employer.employer_code:
        raise ApiError(
            409, "employer_not_registered", "the employer has no employer code yet (QRG 4)"
        )
    return employer


def contribution_of(db: Session, account: PortalAccount, contribution_id: int) -> Contribution:
    row = db.get(Contribution, contribution_id)
    employer = db.get(Employer, row.employer_id) if row else None
    if row is None or employer is None or employer.account_id != account.id:
        raise ApiError(404, "contribution_not_found", "no such contribution on this account")
    return row


# --- inputs --------------------------------------------------------------------------------


def parse_month(text: str, today: date) -> tuple[int, int]:
    try:
        year, mon = (int(p) for p in (text or "").split("-"))
        date(year, mon, 1)
    except ValueError as exc:
        raise ApiError(422, "invalid_month", "month: give it as YYYY-MM, e.g. 2026-10") from exc
    if (year, mon) > (today.year, today.month):
        raise ApiError(422, "invalid_month", "month: a contribution month cannot be in the future")
    if (year, mon) < (2016, 6):
        raise ApiError(422, "invalid_month", "month: months before 2016-06 are not covered")
    return year, mon


def month_text(month: tuple[int, int]) -> str:
    return f"{month[0]:04d}-{month[1]:02d}"


def _check_choice(field: str, value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ApiError(422, f"invalid_{field}", f"{field}: must be one of {', '.join(allowed)}")
    return value


@dataclass(frozen=True)
class LineInput:
    employee_id: int | None = None
    id_no: str | None = None
    wage: Decimal | None = None
    status: str = "working"
    event_date: date | None = None


def _employees(db: Session, employer: Employer) -> list[Employee]:
    return list(
        db.scalars(
            select(Employee).where(Employee.employer_id == employer.id).order_by(Employee.id)
        )
    )


class _EmployeeIndex:
    """Employees by ID or SSFW number: a 10,000-line file looks each line up in O(1)."""

    def __init__(self, employees: list[Employee]) -> None:
        self.by_key: dict[str, Employee] = {}
        for emp in reversed(employees):  # the first registered wins on a shared number
            for key in ((emp.ssfw_no or "").upper(), (emp.id_no or "").upper()):
                if key:
                    self.by_key[key] = emp

    def find(self, id_no: str) -> Employee | None:
        return self.by_key.get(id_no.replace("-", "").replace(" ", "").upper())


def _facts(emp: Employee) -> WorkerFacts:
    """The worker's facts for the tables; like registration, the first contribution is taken
    as the employment start date (the 55+/57+ rules)."""
    return WorkerFacts(
        date_of_birth=emp.date_of_birth,
        residency="foreign" if emp.residency == "foreign" else "local",
        worker_type="domestic" if emp.worker_type == "domestic" else "regular",
        first_contribution_date=emp.start_date,
    )


def worker_for(emp: Employee) -> textfile.Worker:
    return textfile.Worker(facts=_facts(emp), name=emp.name)


def _in_month(emp: Employee, month: tuple[int, int]) -> bool:
    first = date(month[0], month[1], 1)
    last = deadlines.due_date(month).replace(day=1)
    return emp.start_date < last and (emp.end_date is None or emp.end_date >= first)


def _default_line(emp: Employee, month: tuple[int, int]) -> LineInput:
    """Prefill: the registered wage; B when employment started in the month, H when it ended."""
    first = date(month[0], month[1], 1)
    next_first = deadlines.due_date(month).replace(day=1)
    if emp.end_date is not None and first <= emp.end_date < next_first:
        return LineInput(
            employee_id=emp.id, wage=emp.monthly_wage, status="H", event_date=emp.end_date
        )
    if first <= emp.start_date < next_first:
        return LineInput(
            employee_id=emp.id, wage=emp.monthly_wage, status="B", event_date=emp.start_date
        )
    return LineInput(employee_id=emp.id, wage=emp.monthly_wage)


def _build_lines(
    db: Session,
    employer: Employer,
    month: tuple[int, int],
    act: str,
    inputs: list[LineInput] | None,
) -> list[ContributionLine]:
    """Lines with shares from the tables; without inputs, every employee at their usual wage."""
    employees = _employees(db, employer)
    if inputs is None:
        inputs = [_default_line(e, month) for e in employees if _in_month(e, month)]
        if not inputs:
            raise ApiError(
                422, "no_employees", "the employer has no employees for this month (QRG 3)"
            )
    by_id = {e.id: e for e in employees}
    by_number = _EmployeeIndex(employees)
    lines: list[ContributionLine] = []
    seen: set[int] = set()
    for index, item in enumerate(inputs):
        emp = by_id.get(item.employee_id) if item.employee_id else None
        if emp is None and item.id_no:
            emp = by_number.find(item.id_no)
        if emp is None:
            raise ApiError(
                422,
                "unknown_employee",
                f"lines[{index}]: not an employee of this employer",
                line=index,
            )
        if emp.id in seen:
            raise ApiError(
                422, "duplicate_employee", f"lines[{index}]: {emp.name} is listed twice", line=index
            )
        seen.add(emp.id)
        wage = emp.monthly_wage if item.wage is None else item.wage
        try:
            shares = domain.employee_shares(
                domain.EmployeeMonth(
                    emp.id_no,
                    Decimal(wage).quantize(Decimal("0.01")),
                    status=item.status or "working",
                    event_date=item.event_date,
                    facts=_facts(emp),
                ),
                month,
                act,
            )
        except domain.ContributionError as exc:
            raise ApiError(
                422, exc.code, f"lines[{index}]: {exc.message}", line=index, field=exc.field
            ) from exc
        lines.append(
            ContributionLine(
                employee_id=emp.id,
                id_no=emp.ssfw_no or emp.id_no,
                name=emp.name,
                status=item.status or "working",
                event_date=item.event_date,
                wage=Decimal(wage).quantize(Decimal("0.01")),
                category=shares.category,
                socso_employer=shares.socso_employer,
                socso_employee=shares.socso_employee,
                skbbk_employee=shares.skbbk_employee,
                eis_employer=shares.eis_employer,
                eis_employee=shares.eis_employee,
            )
        )
    return lines


def _set_lines(row: Contribution, lines: list[ContributionLine], now: datetime) -> None:
    row.lines = lines
    row.total_employees = len(lines)
    zero = Decimal("0.00")
    row.total_wages = sum((x.wage for x in lines), zero)
    for name in ("socso_employer", "socso_employee", "skbbk_employee", "eis_employer"):
        setattr(row, name, sum((getattr(x, name) for x in lines), zero))
    row.eis_employee = sum((x.eis_employee for x in lines), zero)
    row.updated_at = now


# --- views ---------------------------------------------------------------------------------


def view(row: Contribution, employer: Employer | None = None) -> dict[str, Any]:
    year, mon = (int(p) for p in row.month.split("-"))
    out: dict[str, Any] = {
        "id": row.id,
        "employer_id": row.employer_id,
        "month": row.month,
        "type": row.contribution_type,
        "act": row.act,
        "status": row.status,
        "medium": row.medium,
        "total_employees": row.total_employees,
        "total_wages": format_ringgit(row.total_wages),
        "socso": {
            "employer": format_ringgit(row.socso_employer),
            "employee": format_ringgit(row.socso_employee),
        },
        "skbbk": {"employee": format_ringgit(row.skbbk_employee)},
        "eis": {
            "employer": format_ringgit(row.eis_employer),
            "employee": format_ringgit(row.eis_employee),
        },
        "act4_amount": format_ringgit(row.act4_amount),
        "act800_amount": format_ringgit(row.act800_amount),
        "total_amount": format_ringgit(row.total_amount),
        "acr_no": row.acr_no,
        "ecr_no": row.ecr_no,
        "act4_paid": row.act4_paid_at is not None,
        "act800_paid": row.act800_paid_at is not None,
        "due_date": deadlines.due_date((year, mon)).isoformat(),
        "submitted_at": row.submitted_at.isoformat() if row.submitted_at else None,
        "lines": [
            {
                "employee_id": x.employee_id,
                "id_no": x.id_no,
                "name": x.name,
                "status": x.status,
                "event_date": x.event_date.isoformat() if x.event_date else None,
                "wage": format_ringgit(x.wage),
                "category": x.category,
                "socso_employer": format_ringgit(x.socso_employer),
                "socso_employee": format_ringgit(x.socso_employee),
                "skbbk_employee": format_ringgit(x.skbbk_employee),
                "eis_employer": format_ringgit(x.eis_employer),
                "eis_employee": format_ringgit(x.eis_employee),
            }
            for x in row.lines
        ],
    }
    if row.submitted_at is not None and employer is not None:
        out["counter_available_on"] = business_days.counter_available_date(
            row.submitted_at, _state(employer)
        ).isoformat()
    return out


def _state(employer: Employer) -> str | None:
    try:
        business_days.state_code(employer.state)
    except business_days.UnknownState:
        return None
    return employer.state


# --- commands ------------------------------------------------------------------------------


def create_draft(
    db: Session,
    account: PortalAccount,
    employer_id: int,
    month: str,
    contribution_type: str,
    act: str,
    lines: list[LineInput] | None,
    now: datetime,
    sender_id: str | None = None,
    medium: str = "data_entry",
) -> Contribution:
    employer = employer_of(db, account, employer_id)
    parsed = parse_month(month, now.date())
    _check_choice("type", contribution_type, TYPES)
    _check_choice("act", act, ACTS)
    check_type_for_month(db, employer, month_text(parsed), contribution_type, act)
    row = Contribution(
        employer_id=employer.id,
        month=month_text(parsed),
        contribution_type=contribution_type,
        act=act,
        status="draft",
        medium=medium,
        sender_id=sender_id,
        created_at=now,
    )
    _set_lines(row, _build_lines(db, employer, parsed, act, lines), now)
    db.add(row)
    db.commit()
    return row


def update_draft(
    db: Session, account: PortalAccount, contribution_id: int, lines: list[LineInput], now: datetime
) -> Contribution:
    row = contribution_of(db, account, contribution_id)
    if row.status != "draft":
        raise ApiError(
            409, "not_a_draft", f"the contribution is {row.status}; only a draft changes"
        )
    employer = db.get(Employer, row.employer_id)
    assert employer is not None
    month = tuple(int(p) for p in row.month.split("-"))
    _set_lines(row, _build_lines(db, employer, month, row.act, lines), now)  # type: ignore[arg-type]
    db.commit()
    return row


def delete_draft(db: Session, account: PortalAccount, contribution_id: int) -> dict[str, Any]:
    """Discard a draft (or a completed, not yet submitted) contribution: "cancel" in the chat.

    A submitted month has an ACR/ECR and may be paid: it is never deleted (409)."""
    row = contribution_of(db, account, contribution_id)
    if row.status == "submitted":
        raise ApiError(
            409,
            "already_submitted",
            "a submitted contribution cannot be deleted",
            acr_no=row.acr_no,
            ecr_no=row.ecr_no,
        )
    out = {"id": row.id, "month": row.month, "type": row.contribution_type, "deleted": True}
    db.delete(row)
    db.commit()
    log.info("contribution draft %s deleted", contribution_id)
    return out


def complete(
    db: Session, account: PortalAccount, contribution_id: int, now: datetime
) -> Contribution:
    row = contribution_of(db, account, contribution_id)
    if row.status == "completed":
        return row
    if row.status != "draft":
        raise ApiError(409, "already_submitted", "the contribution is already submitted")
    if not row.lines:
        raise ApiError(422, "no_lines", "a contribution needs at least one employee")
    row.status = "completed"
    row.completed_at = now
    row.updated_at = now
    db.commit()
    return row


def _overlapping_acts(act: str) -> tuple[str, ...]:
    return ACTS if act == "both" else (act, "both")


def _clashing_types(contribution_type: str) -> tuple[str, ...]:
    """Monthly and Arrears are one month's contribution made on time or late (Arrears: "an
    earlier month never submitted"), so either one submitted blocks the other; a Short top-up
    clashes only with another Short."""
    return ("Monthly", "Arrears") if contribution_type in ("Monthly", "Arrears") else ("Short",)


def existing_submission(db: Session, row: Contribution) -> Contribution | None:
    return _submitted(
        db, row.employer_id, row.month, _clashing_types(row.contribution_type), row.act, row.id
    )


def _submitted(
    db: Session,
    employer_id: int,
    month: str,
    types: tuple[str, ...],
    act: str,
    exclude_id: int | None = None,
) -> Contribution | None:
    query = select(Contribution).where(
        Contribution.employer_id == employer_id,
        Contribution.month == month,
        Contribution.contribution_type.in_(types),
        Contribution.act.in_(_overlapping_acts(act)),
        Contribution.status == "submitted",
    )
    if exclude_id is not None:
        query = query.where(Contribution.id != exclude_id)
    return db.scalars(query.order_by(Contribution.id)).first()


def check_type_for_month(
    db: Session, employer: Employer, month: str, contribution_type: str, act: str
) -> None:
    """Refuse early what SUBMIT would refuse: a Short top-up needs the month submitted (as
    Monthly or Arrears) first; Monthly/Arrears for a month already submitted either way is
    refused with the existing ACR/ECR."""
    if contribution_type == "Short":
        if _submitted(db, employer.id, month, ("Monthly", "Arrears"), act) is None:
            raise ApiError(
                422,
                "nothing_to_top_up",
                f"type: a Short contribution tops up a submitted month; {month} has no submitted "
                "Monthly or Arrears contribution for this act",
            )
        return
    existing = _submitted(db, employer.id, month, _clashing_types(contribution_type), act)
    if existing is not None:
        raise _already(existing)


def _already(existing: Contribution) -> ApiError:
    return ApiError(
        409,
        "already_submitted",
        f"{existing.contribution_type} {existing.month} is already submitted",
        contribution_id=existing.id,
        acr_no=existing.acr_no,
        ecr_no=existing.ecr_no,
    )


def submit(
    db: Session, account: PortalAccount, contribution_id: int, now: datetime
) -> Contribution:
    """SUBMIT → CONFIRM: give the ACR/ECR numbers; a second submission gets the existing ones."""
    row = contribution_of(db, account, contribution_id)
    if row.status == "submitted":
        raise _already(row)
    if row.status != "completed":
        raise ApiError(409, "not_completed", "COMPLETE the contribution before submitting it")
    # One submission at a time per employer (a row lock on PostgreSQL; SQLite serialises writes):
    # the partial unique index covers one (month, type, act), not Monthly vs Arrears or an act
    # against "both", so two such drafts submitted at once must not both get through the check.
    db.execute(select(Employer.id).where(Employer.id == row.employer_id).with_for_update())
    existing = existing_submission(db, row)
    if existing is not None:
        raise _already(existing)
    month = tuple(int(p) for p in row.month.split("-"))
    acr = make_reference("act4", month, row.id) if row.act in ("act4", "both") else None  # type: ignore[arg-type]
    ecr = make_reference("act800", month, row.id) if row.act in ("act800", "both") else None  # type: ignore[arg-type]
    try:
        done = db.execute(
            update(Contribution)
            .where(Contribution.id == row.id, Contribution.status == "completed")
            .values(status="submitted", submitted_at=now, updated_at=now, acr_no=acr, ecr_no=ecr)
        ).rowcount
        db.commit()
    except IntegrityError:
        db.rollback()
        done = 0
    db.refresh(row)
    if not done:
        other = existing_submission(db, row) if row.status != "submitted" else row
        raise _already(other or row)
    log.info("contribution %s submitted: %s %s", row.id, acr or "", ecr or "")
    return row


def pending_type(month: tuple[int, int], due: date, today: date) -> str:
    """The type a month still owed is submitted as: ``Monthly`` or ``Arrears``.

    The current due month (the last month that has ended) is Monthly, even once its 15th has
    passed (it is then late, with FCLB interest, but still this cycle's contribution); an
    earlier month never submitted whose due date has passed is Arrears ("an earlier month never
    submitted", the issue's wording). Short is never owed this way: it tops up a month already
    submitted (:func:`check_type_for_month`). The pending list, and through it the chat's month
    buttons, the staff look-up and the reminders, all take the type from here."""
    current = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    return "Arrears" if month < current and today > due else "Monthly"


def pending_months(
    db: Session, account: PortalAccount, employer_id: int, today: date, cfg: ContributionSettings
) -> list[dict[str, Any]]:
    """Months with employees, ended, and not submitted (as Monthly or Arrears, which clash —
    :func:`_clashing_types`) for both acts, each with its :func:`pending_type` (newest first)."""
    employer = employer_of(db, account, employer_id)
    employees = _employees(db, employer)
    submitted = db.scalars(
        select(Contribution).where(
            Contribution.employer_id == employer.id,
            Contribution.contribution_type.in_(_clashing_types("Monthly")),
            Contribution.status == "submitted",
        )
    ).all()
    done: dict[str, set[str]] = {}
    for row in submitted:
        done.setdefault(row.month, set()).update(
            ("act4", "act800") if row.act == "both" else (row.act,)
        )
    out = []
    year, mon = today.year, today.month
    for _ in range(cfg.pending_months_back):
        mon -= 1
        if mon == 0:
            year, mon = year - 1, 12
        if (year, mon) < (2016, 6):
            break
        if not any(_in_month(e, (year, mon)) for e in employees):
            continue
        missing = [
            a for a in ("act4", "act800") if a not in done.get(month_text((year, mon)), set())
        ]
        if not missing:
            continue
        due = deadlines.due_date(
            (year, mon),
            lambda d: business_days.is_business_day(d, _state(employer)),
            cfg.due_date_roll_back,
        )
        out.append(
            {
                "month": month_text((year, mon)),
                "type": pending_type((year, mon), due, today),
                "acts_missing": missing,
                "due_date": due.isoformat(),
                "overdue": today > due,
            }
        )
    return out


def list_contributions(
    db: Session, account: PortalAccount, employer_id: int, status: str | None, unpaid: bool
) -> list[Contribution]:
    employer = employer_of(db, account, employer_id)
    query = select(Contribution).where(Contribution.employer_id == employer.id)
    if status:
        query = query.where(Contribution.status == status)
    if unpaid:
        query = query.where(
            or_(
                (Contribution.acr_no.is_not(None)) & (Contribution.act4_paid_at.is_(None)),
                (Contribution.ecr_no.is_not(None)) & (Contribution.act800_paid_at.is_(None)),
            )
        )
    return list(db.scalars(query.order_by(Contribution.month.desc(), Contribution.id)))


# --- files ---------------------------------------------------------------------------------


def import_file(
    db: Session,
    account: PortalAccount,
    employer_id: int,
    content: str,
    file_format: str,
    contribution_type: str,
    act: str,
    month: str | None,
    skip_bad_lines: bool,
    now: datetime,
    sender_id: str | None = None,
) -> tuple[Contribution, list[textfile.LineError], int, list[textfile.LineError]]:
    """A text file or CSV payroll sheet → one draft. Any bad line → nothing imported, unless
    ``skip_bad_lines`` (then the good lines are, and the bad ones are reported).

    Returns the draft, the skipped lines' errors, the number imported, and notes (lines of a
    223-character file whose wage had to be taken from the band of its amount)."""
    employer = employer_of(db, account, employer_id)
    _check_choice("type", contribution_type, TYPES)
    _check_choice("act", act, ACTS)
    employees = _employees(db, employer)
    index = _EmployeeIndex(employees)

    def lookup(id_no: str) -> textfile.Worker | None:
        emp = index.find(id_no)
        return worker_for(emp) if emp else None

    inputs: list[LineInput] = []
    notes: list[textfile.LineError] = []
    errors: list[textfile.LineError]
    if file_format == "text":
        parsed, scheme = _parse_text(content, employer, act, now.date(), lookup, employees)
        errors = list(parsed.errors)
        months = {r.month for r in parsed.records}
        if len(months) > 1:
            raise ApiError(
                422, "several_months", "the file holds several months: import one month at a time"
            )
        the_month = months.pop() if months else (parse_month(month, now.date()) if month else None)
        if parsed.kind is not None and parsed.kind != "combined":
            # The older SOCSO-only or EIS-only file: the draft holds that act alone.
            act = "act4" if scheme == "socso" else "act800"
            converted = _single_scheme_inputs(parsed.records, employees, scheme)
            inputs, notes = converted.inputs, converted.notes
            errors += converted.errors
        else:
            for r in parsed.records:
                inputs.append(LineInput(id_no=r.id_no, wage=textfile.from_sen(r.wage_sen or 0)))
    elif file_format in ("csv", "xlsx"):
        if not month:
            raise ApiError(422, "invalid_month", "month: a payroll sheet needs the month (YYYY-MM)")
        the_month = parse_month(month, now.date())
        if file_format == "csv":
            sheet = textfile.parse_payroll_csv(content)
        else:
            try:
                raw = base64.b64decode(content, validate=True)
            except ValueError as exc:
                raise ApiError(
                    422, "invalid_content", "content: an .xlsx file is sent base64-encoded"
                ) from exc
            sheet = textfile.parse_payroll_xlsx(raw)
        errors = list(sheet.errors)
        for row in sheet.rows:
            if index.find(row.id_no) is None:
                errors.append(
                    textfile.LineError(
                        row.line, "unknown_employee", f"ID {row.id_no} is not an employee here"
                    )
                )
                continue
            inputs.append(LineInput(id_no=row.id_no, wage=row.wage))
    else:
        raise ApiError(422, "invalid_format", "format: must be text, csv or xlsx")
    errors.sort(key=lambda e: e.line)
    if errors and not skip_bad_lines:
        raise ApiError(
            422,
            "file_has_errors",
            f"{len(errors)} line(s) have errors; nothing was imported",
            errors=[e.to_dict() for e in errors],
        )
    if not inputs or the_month is None:
        raise ApiError(
            422,
            "nothing_to_import",
            "no good lines to import",
            errors=[e.to_dict() for e in errors],
        )
    row = create_draft(
        db,
        account,
        employer_id,
        month_text(the_month),
        contribution_type,
        act,
        inputs,
        now,
        sender_id,
        medium="text_file" if file_format == "text" else file_format,
    )
    return row, errors, len(inputs), notes


def _parse_text(
    content: str,
    employer: Employer,
    act: str,
    today: date,
    lookup: textfile.Lookup,
    employees: list[Employee],
) -> tuple[textfile.ParseResult, str]:
    """Parse a text file; for a 223-character file, also decide whether it is SOCSO or EIS.

    The older file does not say which scheme it holds. ``act4``/``act800`` from the caller
    decide; with ``both`` (the chat, where the user just attaches the file) it is read both
    ways and the reading whose amounts fit the employees better wins. A file that fits both
    equally (e.g. a single line whose amount is in both tables) is refused with a question.
    """
    first_scheme = "eis" if act == "act800" else "socso"
    parsed = textfile.parse_text_file(
        content, employer.employer_code, today, lookup, single_scheme=first_scheme
    )
    if parsed.kind in (None, "combined") or act != "both":
        return parsed, first_scheme
    readings = []
    for scheme in ("socso", "eis"):
        reading = (
            parsed
            if scheme == first_scheme
            else textfile.parse_text_file(
                content, employer.employer_code, today, lookup, single_scheme=scheme
            )
        )
        converted = _single_scheme_inputs(reading.records, employees, scheme)
        bad = len(reading.errors) + len(converted.errors)
        readings.append((bad, len(converted.notes), scheme, reading))
    readings.sort(key=lambda r: (r[0], r[1]))
    best, other = readings
    if (best[0], best[1]) == (other[0], other[1]):
        raise ApiError(
            422,
            "single_scheme_ambiguous",
            "the 223-character file could be SOCSO-only or EIS-only: say which (act4 or act800)",
        )
    return best[3], best[2]


@dataclass
class _Converted:
    inputs: list[LineInput]
    errors: list[textfile.LineError]
    notes: list[textfile.LineError]


def _scheme_amounts(shares: domain.Shares, scheme: str) -> set[Decimal]:
    """What a 223-character line's amount may be: both shares together (SOCSO with or without
    the employee's SKBBK, which the older file predates)."""
    if scheme == "eis":
        return {shares.eis_employer + shares.eis_employee}
    socso = shares.socso_employer + shares.socso_employee
    return {socso, socso + shares.skbbk_employee}


def _single_scheme_inputs(
    records: list[textfile.Record], employees: list[Employee], scheme: str
) -> _Converted:
    """223-character records → draft lines. The file carries the amount, not the wages: the
    registered wage is used when it gives that amount for the employee's category and month;
    otherwise the top of the table band the amount belongs to (reported as a note, so the user
    can correct the wage); an amount no wage gives is an error on its line."""
    out = _Converted([], [], [])
    act = "act4" if scheme == "socso" else "act800"
    label = "SOCSO" if scheme == "socso" else "EIS"
    tables = rates_tables()
    index = _EmployeeIndex(employees)
    for record in records:
        emp = index.find(record.id_no)
        if emp is None:
            continue  # already reported as unknown_employee by the parser
        amount = textfile.from_sen(record.amount_sen or 0)
        status = record.status or "working"
        period = f"{record.month[1]:02d}/{record.month[0]}"
        if amount == 0:
            if status == "working":
                out.errors.append(
                    textfile.LineError(
                        record.line,
                        "amount_mismatch",
                        "the amount is 0.00 but no status is given (S or T for a month "
                        "without wages)",
                    )
                )
                continue
            candidates = [Decimal("0.00")]
        else:
            ceiling = ceiling_for(date(record.month[0], record.month[1], 1))
            tops = [
                b.wage_to
                for b in tables.socso_cat1.bands
                if b.wage_to is not None and b.wage_to <= ceiling
            ]
            candidates = [Decimal(emp.monthly_wage).quantize(Decimal("0.01")), *tops]
        found: Decimal | None = None
        try:
            for wage in candidates:
                shares = domain.employee_shares(
                    domain.EmployeeMonth(
                        emp.id_no,
                        wage,
                        status=status,
                        event_date=record.employment_date,
                        facts=_facts(emp),
                    ),
                    record.month,
                    act,
                )
                if amount in _scheme_amounts(shares, scheme):
                    found = wage
                    break
        except domain.ContributionError as exc:
            out.errors.append(textfile.LineError(record.line, exc.code, exc.message))
            continue
        if found is None:
            out.errors.append(
                textfile.LineError(
                    record.line,
                    "amount_mismatch",
                    f"RM{amount} is not a {label} amount for {emp.name} in {period} at any wage "
                    f"(registered wage RM{format_ringgit(emp.monthly_wage)})",
                )
            )
            continue
        if amount and found != candidates[0]:
            out.notes.append(
                textfile.LineError(
                    record.line,
                    "wage_from_band",
                    f"the file has no wages: RM{format_ringgit(found)} (the top of the band "
                    f"for RM{amount}) is used for {emp.name} instead of the registered "
                    f"RM{format_ringgit(emp.monthly_wage)}; change it before submitting if needed",
                    values={
                        "name": emp.name,
                        "wage": format_ringgit(found),
                        "amount": format_ringgit(amount),
                        "registered": format_ringgit(emp.monthly_wage),
                    },
                )
            )
        out.inputs.append(
            LineInput(
                employee_id=emp.id, wage=found, status=status, event_date=record.employment_date
            )
        )
    return out


def _text_file(
    employer: Employer, month: tuple[int, int], lines: list[ContributionLine]
) -> tuple[str, str]:
    assert employer.employer_code
    records = [
        textfile.Record(
            line=i,
            kind="combined",
            employer_code=employer.employer_code,
            mycoid=employer.registration_no or "",
            id_no=x.id_no,
            name=x.name,
            month=month,
            wage_sen=textfile.to_sen(x.wage),
            socso_employer_sen=textfile.to_sen(x.socso_employer),
            socso_employee_sen=textfile.to_sen(x.socso_employee),
            eis_employer_sen=textfile.to_sen(x.eis_employer),
            eis_employee_sen=textfile.to_sen(x.eis_employee),
            skbbk_employee_sen=textfile.to_sen(x.skbbk_employee),
        )
        for i, x in enumerate(lines, start=1)
    ]
    name = f"{employer.employer_code}_{month[1]:02d}{month[0]:04d}.txt"
    return name, textfile.generate_text_file(records)


def text_file_for(db: Session, account: PortalAccount, contribution_id: int) -> tuple[str, str]:
    """(filename, v2.0 text) for a contribution's lines."""
    row = contribution_of(db, account, contribution_id)
    employer = db.get(Employer, row.employer_id)
    assert employer is not None
    year, mon = (int(p) for p in row.month.split("-"))
    return _text_file(employer, (year, mon), list(row.lines))


_STATUS_ORDER = {"submitted": 0, "completed": 1, "draft": 2}


def text_file_for_month(
    db: Session, account: PortalAccount, employer_id: int, month: str, today: date
) -> tuple[str, str]:
    """The v2.0 file for a month: the Monthly contribution's lines (submitted first, then
    completed, then the newest draft), or, when there is none, every employee of the month at
    the registered wage with the table amounts (a file to check and upload)."""
    employer = employer_of(db, account, employer_id)
    parsed = parse_month(month, today)
    rows = db.scalars(
        select(Contribution).where(
            Contribution.employer_id == employer.id,
            Contribution.month == month_text(parsed),
            Contribution.contribution_type == "Monthly",
            Contribution.act == "both",
        )
    ).all()
    if rows:
        best = min(rows, key=lambda r: (_STATUS_ORDER.get(r.status, 9), -r.id))
        return _text_file(employer, parsed, list(best.lines))
    return _text_file(employer, parsed, _build_lines(db, employer, parsed, "both", None))


# --- bank-counter slips (QRG 8) ------------------------------------------------------------

SLIP_KINDS = {"act4": "acr-slip", "act800": "ecr-slip"}


def slip_path(
    db: Session, row: Contribution, act: str, documents_dir: Path
) -> tuple[Path, str] | None:
    """Render (once) and return the ACR or ECR slip of a submitted contribution."""
    from backend.services.contribution_pdfs import SlipData, render_counter_slip

    reference = row.acr_no if act == "act4" else row.ecr_no
    if row.status != "submitted" or not reference or row.submitted_at is None:
        return None
    path = Path(documents_dir) / "slips" / f"{reference}.pdf"
    if not path.is_file():
        employer = db.get(Employer, row.employer_id)
        assert employer is not None
        state = _state(employer)
        code = business_days.state_code(state) if state else None
        year, mon = (int(p) for p in row.month.split("-"))
        address = ", ".join(
            p
            for p in (
                employer.address_line1,
                employer.address_line2,
                " ".join(p for p in (employer.postcode, employer.city) if p),
                employer.state,
            )
            if p
        )
        render_counter_slip(
            SlipData(
                reference=reference,
                act=act,
                state_code=code,
                employer_name=employer.employer_name or "",
                employer_code=employer.employer_code or "",
                employer_address=address,
                contribution_type=row.contribution_type,
                medium={
                    "data_entry": "Data Entry",
                    "text_file": "Text File",
                    "csv": "CSV",
                    "xlsx": "Excel",
                }.get(row.medium, row.medium),
                period=f"{mon:02d}/{year:04d}",
                total_employees=row.total_employees,
                amount=row.act4_amount if act == "act4" else row.act800_amount,
                submitted_at=business_days.to_local(row.submitted_at),
                available_on=business_days.counter_available_date(row.submitted_at, state),
            ),
            path,
        )
    return path, reference


def slips_view(db: Session, row: Contribution, settings: Settings) -> list[dict[str, Any]]:
    """The slips of a submitted contribution; banks and office come from data files, and the
    office says whether its address is confirmed (``backend/data/contributions/README.md``)."""
    from backend.services.contribution_pdfs import counter_banks, slip_office

    employer = db.get(Employer, row.employer_id)
    assert employer is not None
    state = _state(employer)
    office = slip_office(business_days.state_code(state) if state else None)
    out = []
    for act, kind in SLIP_KINDS.items():
        reference = row.acr_no if act == "act4" else row.ecr_no
        if not reference or row.submitted_at is None:
            continue
        out.append(
            {
                "reference": reference,
                "act": act,
                "amount": format_ringgit(row.act4_amount if act == "act4" else row.act800_amount),
                "pdf_url": files.file_url(settings, kind, row.id),
                "counter_available_on": business_days.counter_available_date(
                    row.submitted_at, _state(employer)
                ).isoformat(),
                "banks": counter_banks("en"),
                "banks_ms": counter_banks("ms"),
                "office": office,
            }
        )
    return out


def _slip_resolver(act: str):  # type: ignore[no-untyped-def]
    def resolve(db: Session, file_id: int, settings: Settings) -> files.StoredFile | None:
        row = db.get(Contribution, file_id)
        found = slip_path(db, row, act, settings.documents_dir) if row else None
        if found is None:
            return None
        return files.StoredFile(path=found[0], filename=f"{found[1]}.pdf")

    return resolve


for _act, _kind in SLIP_KINDS.items():
    files.register_kind(_kind, _slip_resolver(_act))


# --- the month's text file as a chat download ----------------------------------------------

TEXTFILE_KIND = "contribution-textfile"


def textfile_link_id(employer_id: int, month: tuple[int, int]) -> int:
    """One download id per employer and month: ``<employer id><YYYYMM>`` (the link is signed)."""
    return employer_id * 1_000_000 + month[0] * 100 + month[1]


def textfile_link(
    db: Session,
    account: PortalAccount,
    employer_id: int,
    month: str,
    today: date,
    settings: Settings,
) -> dict[str, Any]:
    """Generate the month's v2.0 file now and answer a signed link to it (``/files/…``)."""
    name, text = text_file_for_month(db, account, employer_id, month, today)
    parsed = parse_month(month, today)
    file_id = textfile_link_id(employer_id, parsed)
    folder = Path(settings.documents_dir) / "textfiles"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{file_id}.txt").write_bytes(text.encode("ascii", "replace"))
    (folder / f"{file_id}.name").write_text(name, encoding="ascii")
    return {
        "url": files.file_url(settings, TEXTFILE_KIND, file_id),
        "filename": name,
        "month": month_text(parsed),
        "lines": text.count("\n"),
    }


def _resolve_textfile(db: Session, file_id: int, settings: Settings) -> files.StoredFile | None:
    folder = Path(settings.documents_dir) / "textfiles"
    path = folder / f"{file_id}.txt"
    if not path.is_file():
        return None
    label = folder / f"{file_id}.name"
    name = label.read_text(encoding="ascii") if label.is_file() else path.name
    return files.StoredFile(path=path, filename=name, media_type="text/plain")


files.register_kind(TEXTFILE_KIND, _resolve_textfile)
