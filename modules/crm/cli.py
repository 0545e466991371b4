"""``comptoir leads import FILE.csv``: the CSV import with a progress bar."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext


@click.group("leads")
def leads_group():
    """Leads (CRM)."""


def _count_rows(path: str) -> int:
    count = 0
    with open(path, "rb") as binary:
        while chunk := binary.read(1 << 20):
            count += chunk.count(b"\n")
    return max(count - 1, 0)


@leads_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--mapping", help="CSV column to lead field: 'Company=company_name,Mail=email'.")
@click.option("--skip-duplicates", "duplicates", flag_value="skip",
              help="Do not import rows that look like existing leads, contacts or partners.")
@click.option("--flag-duplicates", "duplicates", flag_value="flag", default=True,
              help="Import them, and list them in the report (default).")
@click.option("--all-or-nothing", is_flag=True, help="Import nothing if any row is invalid.")
@click.option("--as", "as_email", help="Email of the user recorded as the importer.")
@with_appcontext
def import_command(file, mapping, duplicates, all_or_nothing, as_email):
    """Import leads from FILE.csv (UTF-8, with a header line)."""
    from core.auth.models import User
    from core.db import db
    from core.errors import ValidationError
    from modules.crm.services import imports

    user = None
    if as_email:
        user = db.session.scalar(db.select(User).where(User.email == as_email.lower()))
        if user is None:
            click.echo(f"Unknown user: {as_email}", err=True)
            sys.exit(1)
    try:
        parsed = imports.parse_mapping(mapping)
        with open(file, "rb") as binary, click.progressbar(
                length=_count_rows(file), label="Importing leads", file=sys.stderr) as bar:
            report = imports.import_leads(binary, by=user, mapping=parsed or None,
                                          duplicates=duplicates,
                                          all_or_nothing=all_or_nothing, progress=bar.update)
    except ValidationError as exc:
        for name, reasons in (exc.errors or {"file": [exc.message]}).items():
            click.echo(f"error: {name}: {' '.join(reasons)}", err=True)
        sys.exit(1)
    for error in report.errors:
        click.echo(f"line {error.line}: {'; '.join(error.reasons)}", err=True)
    for line, reason in report.flagged:
        click.echo(f"line {line}: likely duplicate ({reason})", err=True)
    if report.rolled_back:
        click.echo(f"Nothing imported: {len(report.errors)} invalid rows (--all-or-nothing).")
        sys.exit(1)
    click.echo(f"{report.imported} leads imported, {report.skipped} duplicates skipped, "
               f"{len(report.flagged)} flagged, {len(report.errors)} rows with errors.")
    if report.errors:
        sys.exit(2)
