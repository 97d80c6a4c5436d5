"""Schema drift: the batch's columns against the catalog table they land in.

A new source column is fine: the Glue sink adds it to the catalog table
(UPDATE_IN_DATABASE) and older partitions read it as NULL. A column that is
gone, or whose type changed, is not: Parquet files with different types under
one table break readers, and a vanished column silently turns NULL. Such a
batch fails the run before anything is written; docs/runbook.md#schema-drift
says what to do.

Standard library only (see ingest_helpers for why).
"""

from __future__ import annotations

from typing import Optional, Sequence

# The columns the job adds to every row, with their catalog types.
METADATA_COLUMN_TYPES = {
    "_ingested_at": "timestamp",
    "_source": "string",
    "_job_run_id": "string",
}


def normalise_type(type_name: str) -> str:
    """Catalog and Spark spell types alike up to case and spaces."""
    return "".join(str(type_name).split()).lower()


def drift_problems(
    batch: Sequence[tuple[str, str]], catalog: Optional[Sequence[tuple[str, str]]]
) -> tuple[list[str], list[tuple[str, str, str]], list[str]]:
    """(new columns, changed columns as (name, catalog type, batch type), dropped columns).

    Names are compared case-insensitively: the Glue Data Catalog stores them in
    lower case.
    """
    if catalog is None:
        return [name for name, _ in batch], [], []
    batch_types = {name.lower(): normalise_type(t) for name, t in batch}
    catalog_types = {name.lower(): normalise_type(t) for name, t in catalog}
    new = [name for name, _ in batch if name.lower() not in catalog_types]
    changed = [
        (name, catalog_types[name.lower()], batch_types[name.lower()])
        for name, _ in catalog
        if name.lower() in batch_types and batch_types[name.lower()] != catalog_types[name.lower()]
    ]
    dropped = [name for name, _ in catalog if name.lower() not in batch_types]
    return new, changed, dropped


def check_schema_drift(
    qualified: str,
    batch: Sequence[tuple[str, str]],
    catalog: Optional[Sequence[tuple[str, str]]],
) -> list[str]:
    """The new columns of the batch; raises ValueError naming every dropped or
    changed column, in one line."""
    new, changed, dropped = drift_problems(batch, catalog)
    parts = []
    if dropped:
        parts.append(f"dropped column(s) {', '.join(dropped)}")
    if changed:
        parts.append(
            "changed type(s) "
            + ", ".join(f"{name} {old} -> {now}" for name, old, now in changed)
        )
    if parts:
        raise ValueError(
            f"schema drift in {qualified}: got {'; '.join(parts)} against the catalog table, "
            "expected the catalog's columns with their types (new columns are fine). Nothing "
            "was written; see docs/runbook.md#schema-drift"
        )
    return new
