"""The published tables as open data: JSON and CSV (UTF-8 with a BOM, so Excel reads it).

Both carry the licence (CC BY 4.0), the period and the suppression rule. A withheld value is
``null`` in JSON and empty in CSV, and is flagged (``suppressed``) in both.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from bot.stats.figures import Figures
from bot.stats.labels import load_labels
from bot.stats.suppress import THRESHOLD
from bot.stats.tables import Table

LICENCE = {
    "id": "CC-BY-4.0",
    "name": "Creative Commons Attribution 4.0 International",
    "url": "https://creativecommons.org/licenses/by/4.0/",
}
CSV_COLUMNS = (
    "table",
    "row",
    "row_ja",
    "row_en",
    "measure",
    "unit",
    "value",
    "suppressed",
    "licence",
)
_FORMULA = ("=", "+", "-", "@", "\t", "\r")  # a spreadsheet would run these as formulas


def document(figures: Figures, tables: list[Table]) -> dict[str, Any]:
    """The JSON document of the published figures."""
    page = load_labels().page
    return {
        "title": page["title"].model_dump(),
        "publisher": page["publisher"].model_dump(),
        "licence": {**LICENCE, "attribution": page["licence"].model_dump()},
        "period": {"from": figures.months[0], "to": figures.months[-1]},
        "generated": figures.generated.isoformat(timespec="seconds"),
        "suppression": {"threshold": THRESHOLD, "note": page["privacy"].model_dump()},
        "tables": [_table(table) for table in tables],
    }


def _table(table: Table) -> dict[str, Any]:
    rows = []
    for row in table.rows:
        values = {c.key: cell.value for c, cell in zip(table.values, row.cells, strict=True)}
        withheld = [
            c.key for c, cell in zip(table.values, row.cells, strict=True) if cell.suppressed
        ]
        rows.append(
            {
                "key": row.key,
                "label": row.label.model_dump(),
                "values": values,
                "suppressed": withheld,
            }
        )
    return {
        "id": table.key,
        "caption": table.caption.model_dump(),
        "columns": [
            {"id": c.key, "name": c.name.model_dump(), "unit": c.unit} for c in table.columns
        ],
        "rows": rows,
    }


def csv_bytes(tables: list[Table]) -> bytes:
    """One line per published value, with a ``licence`` column; UTF-8 with a BOM."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    licence = f"{LICENCE['id']} {LICENCE['url']} ({load_labels().page['publisher'].ja})"
    for table in tables:
        for row in table.rows:
            for column, cell in zip(table.values, row.cells, strict=True):
                value = "" if cell.value is None else cell.value
                writer.writerow(
                    (
                        table.key,
                        _safe(row.key),
                        _safe(row.label.ja),
                        _safe(row.label.en),
                        column.key,
                        column.unit,
                        value,
                        "true" if cell.suppressed else "false",
                        licence,
                    )
                )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _safe(text: str) -> str:
    return f"'{text}" if text.startswith(_FORMULA) else text
