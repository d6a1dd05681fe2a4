"""HTML tables the planning lessons show: the prices with their sources, and plain rows.

What this leaves out: styling beyond left-aligned cells (the notebook's theme applies), and
sorting or paging (the tables are short).
"""

from __future__ import annotations

import html
from typing import Sequence

from course_utils.plan.prices import PriceRow


def prices_table_html(rows: Sequence[PriceRow]) -> str:
    """Lessons 01 and 03. The prices as an HTML table: offer, price, date, source link, notes."""
    body = "".join(
        f"<tr><td>{html.escape(r.label())}</td><td>{html.escape(r.formatted())}</td>"
        f"<td>{r.as_of}</td><td><a href='{html.escape(r.source_url)}' target='_blank'>"
        f"{html.escape(r.source_name)}</a></td><td><small>{html.escape(r.notes)}</small></td></tr>"
        for r in rows)
    return ("<table><tr><th>offer</th><th>price</th><th>as of</th><th>source</th>"
            f"<th>notes</th></tr>{body}</table>")


def table_html(rows: Sequence[dict]) -> str:
    """Lessons 01-03. A list of same-keyed dicts as a plain HTML table (headers from the first row)."""
    if not rows:
        return "<i>(nothing to show)</i>"
    head = "".join(f"<th style='text-align:left'>{html.escape(str(k))}</th>" for k in rows[0])
    body = "".join("<tr>" + "".join(f"<td style='text-align:left'>{html.escape(str(v))}</td>"
                                    for v in r.values()) + "</tr>" for r in rows)
    return f"<table><tr>{head}</tr>{body}</table>"
