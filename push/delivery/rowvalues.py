"""Per-row values in one UPDATE: rows of one outcome may still differ in a detail."""

from django.db.models import Case, Field, Model, Value, When


def per_row(rows: list[Model], name: str, output_field: Field) -> Value | Case:
    """Return an UPDATE value for `name`: a constant if all rows agree, else a CASE by pk.

    Cheaper than `bulk_update` here: one statement whatever the number of rows (SQLite caps
    a statement's parameters, so bulk_update splits a 500-row chunk into several).
    """
    values = {row.pk: getattr(row, name) for row in rows}
    if len(set(values.values())) == 1:
        return Value(next(iter(values.values())), output_field=output_field)
    return Case(
        *(
            When(pk=pk, then=Value(value, output_field=output_field))
            for pk, value in values.items()
        ),
        output_field=output_field,
    )
