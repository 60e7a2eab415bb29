"""Per-row values in one UPDATE: rows of one outcome may still differ in a detail."""

from collections.abc import Sequence
from typing import Any

from django.db import connection
from django.db.models import Field, Value
from django.db.models.expressions import RawSQL

# The primary key column of the push app's tables (its models' default `id`).
PK_COLUMN = "id"


def per_row(rows: Sequence[Any], name: str, output_field: Field) -> Value | RawSQL:
    """Return an UPDATE value for `name`: a constant if all rows agree, else a CASE on the pk.

    The CASE is written as plain SQL (`CASE "id" WHEN 1 THEN ... END`): built through the
    ORM, 500 `When`s cost more CPU than sending the chunk to Expo. It is still one statement
    whatever the number of rows, where `bulk_update` splits a chunk on SQLite's parameter cap.
    """
    values = {row.pk: getattr(row, name) for row in rows}
    if len(set(values.values())) == 1:
        return Value(next(iter(values.values())), output_field=output_field)
    params: list = []
    for pk, value in values.items():
        params += [pk, output_field.get_db_prep_save(value, connection)]
    pk_column = connection.ops.quote_name(PK_COLUMN)
    sql = f"CASE {pk_column} {' '.join(['WHEN %s THEN %s'] * len(values))} END"
    if connection.vendor == "postgresql":
        # Untyped parameters make a text CASE there: give it the column's type.
        sql = f"CAST({sql} AS {output_field.db_type(connection)})"
    return RawSQL(sql, params, output_field=output_field)  # noqa: S611 (values are parameters)
