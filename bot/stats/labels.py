"""The names and explanations of the published figures, from ``knowledge/system/stats.yaml``."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict

from knowledge.schema import Text
from knowledge.system import SYSTEM_DIR

LABELS_FILE = SYSTEM_DIR / "stats.yaml"


class Labels(BaseModel):
    """Page texts, table captions, column names and row labels, each in Japanese and English."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    page: dict[str, Text]
    tables: dict[str, Text]
    columns: dict[str, Text]
    labels: dict[str, Text]


@cache
def load_labels(path: Path = LABELS_FILE) -> Labels:
    """Read and validate the labels once."""
    with path.open(encoding="utf-8") as handle:
        return Labels.model_validate(yaml.safe_load(handle))
