"""Per-row values in one UPDATE: rows of one outcome may still differ in a detail."""

from collections import defaultdict
from typing import Any

from django.db.models import Case, Field, Model, Value, When


def per_row(rows: list[Model], name: str, output_field: Field) -> Value | Case:
    """Return an UPDATE value for `name`: a constant if all rows agree, else a CASE.

    One WHEN per distinct value (`pk IN (...)`), not one per row: the ORM's cost of a
    CASE grows with its WHENs, and rows of one outcome share most values. Cheaper than
    `bulk_update` here: one statement whatever the number of rows (SQLite caps a statement's
    parameters, so bulk_update splits a 500-row chunk into several).
    """
    pks_by_value: dict[Any, list[Any]] = defaultdict(list)
    for row in rows:
        pks_by_value[getattr(row, name)].append(row.pk)
    if len(pks_by_value) == 1:
        return Value(next(iter(pks_by_value)), output_field=output_field)
    return Case(
        *(
            When(pk__in=pks, then=Value(value, output_field=output_field))
            for value, pks in pks_by_value.items()
        ),
        output_field=output_field,
    )
