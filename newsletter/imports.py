"""CSV import of subscribers: read, validate every row, import, report.

Any spreadsheet export works: comma, semicolon or tab separated, UTF-8 (with
or without BOM) or Latin-1, with a header row naming an "email" column (and
optionally "name"), or without a header if one column holds addresses.
Nothing that was typed is lost: every row that is not imported is listed in
the report with its line number and the reason.

People who unsubscribed, bounced or complained are never put back on a list
by an import; they are reported instead.
"""

import csv
import io
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from newsletter import services
from newsletter.forms import clean_address
from newsletter.models import (
    Subscriber,
    SubscriberImport,
    Subscription,
    SubscriptionEvent,
    validate_one_line,
)

MAX_BYTES = 10 * 1024 * 1024
MAX_REPORTED = 1000
CHUNK = 200
EMAIL_HEADERS = {
    "email",
    "e-mail",
    "email address",
    "e-mail address",
    "mail",
    "courriel",
}
NAME_HEADERS = {"name", "full name", "fullname", "first name", "firstname"}
NAME_NOT_ONE_LINE = (
    "The name is not one line of text: remove its line breaks (or other "
    "control characters)."
)

S = Subscription.Status


class ImportFileError(Exception):
    """The file as a whole cannot be read; the message says what to do."""


def decode(raw: bytes) -> tuple[str, str]:
    """(text, note). UTF-8 first; Latin-1 reads any bytes, and we say so."""
    if len(raw) > MAX_BYTES:
        raise ImportFileError(
            f"The file is {len(raw) / 1024 / 1024:.1f} MB; the limit is "
            f"{MAX_BYTES // 1024 // 1024} MB. Split it into smaller files."
        )
    if b"\x00" in raw[:4096]:
        raise ImportFileError(
            "This looks like a binary file (a spreadsheet?), not CSV text. "
            "Save it as “CSV UTF-8” and upload that."
        )
    if b"\x00" in raw:
        # Text cannot hold one (PostgreSQL refuses to store the file), and
        # dropping it silently would change what someone typed.
        line = raw[: raw.index(b"\x00")].count(b"\n") + 1
        raise ImportFileError(
            f"Line {line} contains a NUL character, which a text file cannot "
            "hold: remove it (or save the file again as “CSV UTF-8”) and upload "
            "it again."
        )
    try:
        return raw.decode("utf-8-sig"), ""
    except UnicodeDecodeError:
        return raw.decode("latin-1"), "The file is not UTF-8; it was read as Latin-1."


@dataclass
class Row:
    line: int
    email: str
    name: str = ""


@dataclass
class Parsed:
    rows: list[Row] = field(default_factory=list)
    problems: list[dict] = field(default_factory=list)
    total: int = 0


def _dialect(text: str):
    try:
        return csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        return csv.excel


def parse(text: str) -> Parsed:
    """Rows with a valid address, and a problem for every other data row."""
    if not text.strip():
        raise ImportFileError("The file is empty.")
    reader = csv.reader(io.StringIO(text), _dialect(text))
    lines = [
        (n, row) for n, row in enumerate(reader, start=1) if any(c.strip() for c in row)
    ]
    if not lines:
        raise ImportFileError("The file has no rows.")
    header = [c.strip().lower() for c in lines[0][1]]
    email_col = next((i for i, h in enumerate(header) if h in EMAIL_HEADERS), None)
    name_col = next((i for i, h in enumerate(header) if h in NAME_HEADERS), None)
    if email_col is not None:
        data = lines[1:]
    else:
        # No header: the column where the first row has an address.
        email_col = next((i for i, c in enumerate(lines[0][1]) if "@" in c), None)
        if email_col is None:
            raise ImportFileError(
                "No column of email addresses was found. Add a header row "
                "with a column named “email” (and optionally “name”)."
            )
        data = lines
    parsed = Parsed(total=len(data))
    seen: dict[str, int] = {}
    for line, cells in data:
        raw = cells[email_col] if email_col < len(cells) else ""
        name = (
            cells[name_col].strip()[:100]
            if name_col is not None and name_col < len(cells)
            else ""
        )
        try:
            email = clean_address(raw)
            try:
                validate_one_line(name)  # the model's rule for names
            except ValidationError:
                raise ValidationError(NAME_NOT_ONE_LINE) from None
        except ValidationError as exc:
            parsed.problems.append(
                {"line": line, "email": raw[:254], "problem": exc.messages[0]}
            )
            continue
        if email in seen:
            parsed.problems.append(
                {
                    "line": line,
                    "email": raw[:254],
                    "problem": f"Same address as line {seen[email]}.",
                }
            )
            continue
        seen[email] = line
        parsed.rows.append(Row(line, email, name))
    return parsed


def _import_row(job: SubscriberImport, row: Row) -> str:
    """'added', 'existing', or a reason the row was skipped."""
    newsletter = job.newsletter
    subscriber = Subscriber.objects.filter(email=row.email).first()
    subscription = (
        Subscription.objects.filter(
            subscriber=subscriber, newsletter=newsletter
        ).first()
        if subscriber
        else None
    )
    if subscription is not None:
        if subscription.status == S.CONFIRMED:
            return "existing"
        if subscription.status in (S.UNSUBSCRIBED, S.BOUNCED, S.COMPLAINED):
            when = subscription.unsubscribed_at or subscription.status_changed_at
            return (
                f"{subscription.get_status_display()} on {when:%Y-%m-%d}: an import "
                "never puts them back on the list."
            )
    if job.mode == SubscriberImport.Mode.PENDING:
        services.signup(
            row.email,
            [newsletter],
            source=Subscription.Source.IMPORT,
            source_url=job.filename[:300],
            name=row.name,
        )
        return "added"
    now = timezone.now()
    if subscriber is None:
        subscriber = Subscriber.objects.create(email=row.email, name=row.name)
    if subscription is None:
        subscription = Subscription(
            subscriber=subscriber,
            newsletter=newsletter,
            created_at=now,
            source=Subscription.Source.IMPORT,
            source_url=job.filename[:300],
        )
    # A new row, or a pending one: the importer vouches for the consent.
    subscription.move_to(
        S.CONFIRMED,
        source="import",
        detail=f"{job.filename} line {row.line}",
        at=now,
        kind=SubscriptionEvent.Kind.IMPORTED,
    )
    return "added"


def run(job_id: int) -> dict:
    job = SubscriberImport.objects.select_related("newsletter").get(pk=job_id)
    if job.is_finished:
        return job.as_progress()
    job.status = SubscriberImport.Status.RUNNING
    job.save(update_fields=["status"])
    try:
        parsed = parse(job.data)
    except ImportFileError as exc:
        job.status = SubscriberImport.Status.FAILED
        job.notes = "\n".join(filter(None, [job.notes, str(exc)]))
        job.finished_at = timezone.now()
        job.save()
        return job.as_progress()
    report = list(parsed.problems)
    job.total_rows = parsed.total
    job.invalid_count = len(parsed.problems)
    job.processed_rows = len(parsed.problems)
    job.save(update_fields=["total_rows", "invalid_count", "processed_rows"])
    for start in range(0, len(parsed.rows), CHUNK):
        with transaction.atomic():
            for row in parsed.rows[start : start + CHUNK]:
                outcome = _import_row(job, row)
                if outcome == "added":
                    job.added_count += 1
                elif outcome == "existing":
                    job.existing_count += 1
                else:
                    job.skipped_count += 1
                    report.append(
                        {"line": row.line, "email": row.email, "problem": outcome}
                    )
                job.processed_rows += 1
            job.save(
                update_fields=[
                    "processed_rows",
                    "added_count",
                    "existing_count",
                    "skipped_count",
                ]
            )
    report.sort(key=lambda item: item["line"])
    job.report = report[:MAX_REPORTED]
    if len(report) > MAX_REPORTED:
        job.notes = "\n".join(
            filter(
                None,
                [
                    job.notes,
                    f"Only the first {MAX_REPORTED} of {len(report)} problems are listed.",
                ],
            )
        )
    job.status = SubscriberImport.Status.DONE
    job.finished_at = timezone.now()
    job.data = ""
    job.save()
    return job.as_progress()
