"""A figure as CSV: the columns as the header, one line per row, exactly the numbers of the JSON.

UTF-8 with a byte-order mark, so that spreadsheet programs read Chinese names correctly; empty
cells where a value is unknown (no declaration released that week, say)."""

from __future__ import annotations

import csv
import io

from .figure import Figure
from .filters import Filters

__all__ = ["csv_filename", "to_csv"]

BOM = "\ufeff"


def to_csv(figure: Figure) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(figure.columns)
    for row in figure.rows:
        writer.writerow(["" if row.get(c) is None else row[c] for c in figure.columns])
    return BOM + out.getvalue()


def csv_filename(figure: Figure, filters: Filters) -> str:
    """e.g. ``onewindow-clearance-time-3301-2026-10-05-2026-11-27.csv``."""
    port = f"-{filters.port}" if filters.port else ""
    return f"onewindow-{figure.id}{port}-{filters.first.isoformat()}-{filters.last.isoformat()}.csv"
