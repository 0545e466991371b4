"""CSV import of leads, streaming: a csv reader over the file, validation row by row with
the API's rules, batched duplicate checks and batched INSERTs, so memory stays flat
whatever the file size. Used by the upload page and ``comptoir leads import``."""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import IO

import sqlalchemy as sa
from flask_babel import gettext as _
from pydantic import ValidationError as PydanticValidationError

from core import access, search, tally
from core.api import pydantic_errors
from core.auth.models import User
from core.db import UTCDateTime, db, utcnow
from core.errors import ValidationError
from core.partners.models import Contact, Partner
from core.timeline import N_, TimelineEntry
from core.validation import Text, normalize_phone
from modules.crm.models import Lead, LeadSource
from modules.crm.schemas import LeadIn, Opt
from modules.crm.services.leads import derive

FIELDS = ["first_name", "last_name", "company_name", "job_title", "email", "phone", "mobile",
          "website", "street", "city", "postal_code", "country", "source", "description"]
ALIASES = {"firstname": "first_name", "first": "first_name", "prenom": "first_name",
           "lastname": "last_name", "last": "last_name", "name": "last_name", "nom": "last_name",
           "company": "company_name", "organisation": "company_name", "organization": "company_name",
           "societe": "company_name", "entreprise": "company_name", "title": "job_title",
           "job": "job_title", "mail": "email", "e_mail": "email", "telephone": "phone",
           "tel": "phone", "portable": "mobile", "cell": "mobile", "url": "website",
           "site": "website", "address": "street", "adresse": "street", "ville": "city",
           "zip": "postal_code", "postcode": "postal_code", "code_postal": "postal_code",
           "pays": "country", "notes": "description", "note": "description"}
BATCH = 1000
_PHONE_CHARS = re.compile(r"[0-9+().\-\s/]{3,40}")


class ImportRow(LeadIn):
    """LeadIn, with the phone numbers checked by :func:`_phones` (parsed once per row)."""

    phone: Opt(Text(40)) = None
    mobile: Opt(Text(40)) = None


def _phones(values: dict, errors: list[str]) -> dict:
    """The same rule as core.validation's Phone, returning the normalized numbers."""
    result = {}
    for name in ("phone", "mobile"):
        value = values.get(name)
        normalized = None
        if value:
            if _PHONE_CHARS.fullmatch(value):
                normalized = normalize_phone(value)
            if normalized is None:
                errors.append(f"{name}: not a valid phone number")
        result[name] = normalized
    return result
DUPLICATE_MODES = ("flag", "skip", "ignore")


@dataclass
class RowError:
    line: int
    reasons: list[str]


@dataclass
class ImportReport:
    imported: int = 0
    skipped: int = 0
    flagged: list[tuple[int, str]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    rolled_back: bool = False
    rows: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


def _key(header: str) -> str:
    return header.strip().lower().replace(" ", "_").replace("-", "_")


def guess_mapping(headers: Iterable[str]) -> dict[str, str]:
    """CSV column -> lead field, from the column names."""
    mapping = {}
    for header in headers:
        key = _key(header)
        target = key if key in FIELDS else ALIASES.get(key)
        if target and target not in mapping.values():
            mapping[header] = target
    return mapping


def parse_mapping(text: str | None) -> dict[str, str]:
    """``col=field,col2=field2`` (the CLI's --mapping)."""
    mapping = {}
    for part in (text or "").split(","):
        if not part.strip():
            continue
        if "=" not in part:
            raise ValidationError.field("mapping", _("Write the mapping as column=field,..."))
        column, target = (p.strip() for p in part.split("=", 1))
        if target not in FIELDS:
            raise ValidationError.field("mapping", _("Unknown lead field: %(f)s", f=target))
        mapping[column] = target
    return mapping


def check_encoding(binary: IO[bytes]) -> None:
    """Scan the file once for UTF-8 (chunk by chunk), then rewind it."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    line = 1
    while chunk := binary.read(1 << 16):
        try:
            text = decoder.decode(chunk)
        except UnicodeDecodeError:
            raise ValidationError.field("file", _(
                "The file is not UTF-8 encoded (near line %(line)s): save it as CSV UTF-8.",
                line=line)) from None
        line += text.count("\n")
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise ValidationError.field("file", _("The file is not UTF-8 encoded.")) from None
    binary.seek(0)


@contextmanager
def open_csv(binary: IO[bytes]) -> Iterator[csv.DictReader]:
    """A DictReader over the binary file (the delimiter sniffed); the file stays open."""
    text = io.TextIOWrapper(binary, encoding="utf-8-sig", newline="")
    try:
        sample = text.read(4096)
        text.seek(0)
        try:
            dialect = csv.Sniffer().sniff(sample, delimiters=",;\t") if sample else csv.excel
        except csv.Error:
            dialect = csv.excel
        yield csv.DictReader(text, dialect=dialect)
    finally:
        text.detach()


def preview(binary: IO[bytes], rows: int = 5) -> tuple[list[str], list[dict], dict[str, str]]:
    check_encoding(binary)
    with open_csv(binary) as reader:
        headers = reader.fieldnames or []
        sample = []
        for i, row in enumerate(reader):
            if i >= rows:
                break
            sample.append(row)
    return headers, sample, guess_mapping(headers)


#: The sample file's rows (``sample_csv``): a person at a company, and a company alone.
SAMPLE_ROWS = [
    {"first_name": "Claire", "last_name": "Durand", "company_name": "Durand Paysages", "job_title": "Gérante",
     "email": "claire.durand@durand-paysages.example", "phone": "+33 4 72 00 00 00", "mobile": "",
     "website": "https://durand-paysages.example", "street": "12 rue des Lilas", "city": "Lyon",
     "postal_code": "69003", "country": "FR", "description": "Asked for a demo through the website."},
    {"first_name": "", "last_name": "", "company_name": "Nordlicht GmbH", "job_title": "",
     "email": "info@nordlicht.example", "phone": "", "mobile": "", "website": "", "street": "",
     "city": "Hamburg", "postal_code": "20095", "country": "DE", "description": ""},
]


def sample_csv() -> str:
    """A CSV file the import takes as it is: every recognised column, two rows, the
    source column naming lead sources this database has (by code)."""
    codes = db.session.scalars(sa.select(LeadSource.code).where(LeadSource.code.is_not(None))
                               .order_by(LeadSource.id).limit(2)).all()
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=FIELDS, lineterminator="\r\n")
    writer.writeheader()
    for i, row in enumerate(SAMPLE_ROWS):
        writer.writerow({**row, "source": codes[i] if i < len(codes) else ""})
    return out.getvalue()


class _Sources:
    def __init__(self):
        self.by_key = {}
        for source in db.session.scalars(sa.select(LeadSource)):
            self.by_key[source.name.lower()] = source.id
            if source.code:
                self.by_key[source.code.lower()] = source.id

    def get(self, value: str | None) -> tuple[int | None, bool]:
        if not value:
            return None, True
        source_id = self.by_key.get(value.strip().lower())
        return source_id, source_id is not None


def import_leads(binary: IO[bytes], *, by: User | None, mapping: dict[str, str] | None = None,
                 duplicates: str = "flag", all_or_nothing: bool = False,
                 progress: Callable[[int], None] | None = None,
                 batch_size: int = BATCH) -> ImportReport:
    """Import every valid row (or, with ``all_or_nothing``, all of them or none)."""
    if by is not None:
        access.require_model(by, "create", Lead)
    if duplicates not in DUPLICATE_MODES:
        raise ValidationError.field("duplicates", _("Choose flag, skip or ignore."))
    check_encoding(binary)
    with open_csv(binary) as reader:
        return _import_rows(reader, by, mapping, duplicates, all_or_nothing, progress,
                            batch_size)


def _import_rows(reader, by, mapping, duplicates, all_or_nothing, progress,
                 batch_size) -> ImportReport:
    headers = reader.fieldnames or []
    mapping = mapping or guess_mapping(headers)
    missing = [column for column in mapping if column not in headers]
    if missing:
        raise ValidationError.field("mapping", _("Columns missing from the file: %(c)s",
                                                 c=", ".join(missing)))
    if not set(mapping.values()) & {"last_name", "company_name", "email"}:
        raise ValidationError.field("mapping", _(
            "Map at least one of last_name, company_name or email."))
    sources = _Sources()
    report = ImportReport()
    # Duplicates inside the file: rows of earlier batches are in the database by now (the
    # batch's lookups find them), so only the current batch's values and those of the rows
    # skipped as duplicates (never written) are kept here: memory stays bounded by the
    # batch, not the file (a set of every email and phone took 200 bytes a row).
    skipped_emails: set[str] = set()
    skipped_phones: set[str] = set()
    batch: list[tuple[int, dict]] = []
    now = utcnow()

    def flush():
        if not batch:
            return
        _write_batch(batch, report, duplicates, skipped_emails, skipped_phones, by, now)
        if not all_or_nothing:
            db.session.commit()
        batch.clear()

    for row in reader:
        line = reader.line_num
        report.rows += 1
        values = {target: (row.get(column) or "").strip() for column, target in mapping.items()}
        if None in row:
            report.errors.append(RowError(line, [_("more values than columns")]))
            continue
        source_id, known = sources.get(values.pop("source", None))
        payload = {k: v for k, v in values.items() if v}
        reasons: list[str] = []
        try:
            data = ImportRow.model_validate(payload)
        except PydanticValidationError as exc:
            reasons = [f"{name}: {'; '.join(msgs)}" for name, msgs in pydantic_errors(exc).items()]
            data = None
        phones = _phones(data.model_dump() if data else payload, reasons)
        if reasons:
            report.errors.append(RowError(line, reasons))
            continue
        clean = data.model_dump(exclude={"source", "source_id", "assigned_to"})
        clean["_phones"] = phones
        if not known:
            report.errors.append(RowError(line, [_("source: unknown lead source")]))
            continue
        if not (clean.get("last_name") or clean.get("company_name") or clean.get("email")):
            report.errors.append(RowError(line, [_("give a last name, a company or an email")]))
            continue
        clean["source_id"] = source_id
        batch.append((line, clean))
        if len(batch) >= batch_size:
            flush()
        if progress is not None and report.rows % 500 == 0:
            progress(500)
    flush()
    if progress is not None:
        progress(report.rows % 500)
    if all_or_nothing and report.errors:
        db.session.rollback()
        report.rolled_back = True
        report.imported = 0
    elif all_or_nothing:
        db.session.commit()
    return report


def _existing(column, values: set[str]) -> set[str]:
    if not values:
        return set()
    return set(db.session.scalars(sa.select(column).where(column.in_(values)).distinct()))


def _write_batch(batch, report, duplicates, skipped_emails, skipped_phones, by, now) -> None:
    seen_emails: set[str] = set()  # this batch's, not yet in the database
    seen_phones: set[str] = set()
    rows = []
    for line, clean in batch:
        phones = clean.pop("_phones")
        rows.append((line, clean | derive(clean, phones)))
    if duplicates != "ignore":
        emails = {r["email_lower"] for _l, r in rows if r["email_lower"]}
        phones = {p for _l, r in rows for p in (r["phone_normalized"], r["mobile_normalized"]) if p}
        # Without case, like the lead page's duplicate check (indexes on lower(email)).
        known_emails = (_existing(Lead.email_lower, emails)
                        | _existing(sa.func.lower(Partner.email), emails)
                        | _existing(sa.func.lower(Contact.email), emails))
        known_phones = (_existing(Lead.phone_normalized, phones)
                        | _existing(Lead.mobile_normalized, phones)
                        | _existing(Contact.phone_normalized, phones)
                        | _existing(Partner.phone_normalized, phones))
    kept = []
    for line, row in rows:
        reason = None
        if duplicates != "ignore":
            row_phones = {row["phone_normalized"], row["mobile_normalized"]} - {None}
            email = row["email_lower"]
            if email and (email in known_emails or email in seen_emails or email in skipped_emails):
                reason = _("same email")
            elif row_phones & known_phones or row_phones & seen_phones or row_phones & skipped_phones:
                reason = _("same phone")
            if reason and duplicates == "skip":
                if email:
                    skipped_emails.add(email)
                skipped_phones.update(row_phones)
            else:
                if email:
                    seen_emails.add(email)
                seen_phones.update(row_phones)
        if reason and duplicates == "skip":
            report.skipped += 1
            continue
        if reason:
            report.flagged.append((line, reason))
        row.update(status="new", recycled=False, version=1, created_at=now, updated_at=now)
        kept.append(row)
    if not kept:
        return
    # Plain executemany (no RETURNING: SQLite would then insert row by row), then the
    # history entries with one INSERT ... SELECT over the rows just written.
    last_id = db.session.scalar(sa.select(sa.func.max(Lead.id))) or 0
    # The search index and the running totals in one statement each.
    with search.bulk_insert(db.session, "crm_lead"), tally.bulk_insert(db.session, "crm_lead"):
        db.session.execute(sa.insert(Lead.__table__), kept)
    entries = sa.select(
        sa.literal("lead"), Lead.id, sa.literal(now, UTCDateTime()),
        sa.literal(by.id if by is not None else None, sa.Integer), sa.literal("created"),
        sa.literal(N_("Lead imported from CSV")),
    ).where(Lead.id > last_id,
            # coalesce(): compare without the created_at index, so the primary key range
            # drives the query (every imported row shares this created_at).
            sa.func.coalesce(Lead.created_at, Lead.created_at) == now)
    table = TimelineEntry.__table__
    db.session.execute(table.insert().from_select(
        [table.c.record_type, table.c.record_id, table.c.at, table.c.user_id, table.c.kind,
         table.c.message], entries))
    ids = kept
    report.imported += len(ids)
