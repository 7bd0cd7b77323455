"""``sohoa link``: person linking over the database (see linkage/ and loaders/persons.py)."""

from __future__ import annotations

from rich.table import Table

from loaders.audit import SYSTEM
from loaders.db import database_url, make_engine, require_schema, session_scope
from loaders.persons import LinkSummary, link_office
from sohoa.console import out

ROWS: tuple[tuple[str, str], ...] = (
    ("records", "records linked now"),
    ("mentions", "mentions linked now"),
    ("new_persons", "new persons"),
    ("auto_links", "automatic links to known persons"),
    ("suggestions", "suggestions for reviewers"),
    ("review", "mentions to review"),
    ("rejected", "candidates a rule forbade"),
    ("known_mentions", "mentions already linked before"),
)


def summary_table(summary: LinkSummary) -> Table:
    """The summary of a linking run as a two-column table."""
    table = Table(title=f"Person linking — {summary.office or 'all offices'}")
    table.add_column("what")
    table.add_column("count", justify="right")
    values = summary.to_dict()
    for key, label in ROWS:
        table.add_row(label, f"{values[key]:,}")
    return table


def run_link_cli(*, office: str | None, actor: str = SYSTEM) -> LinkSummary:
    """Link the mentions of not-yet-linked records of ``office`` (or of every office) and print a summary.

    The database must be at the current schema (``sohoa db upgrade``); an unknown office is a
    :class:`~sohoa.errors.NotFoundError` naming the closest codes.
    """
    engine = make_engine(database_url())
    try:
        require_schema(engine)
        with session_scope(engine) as session:
            summary = link_office(session, office, actor=actor)
    finally:
        engine.dispose()
    out.print(summary_table(summary))
    if summary.mentions == 0:
        out.print("[green]Nothing new to link.[/]")
    else:
        out.print(f"[green]Linked {summary.mentions:,} mentions in {summary.seconds:.1f} s.[/]")
    return summary
