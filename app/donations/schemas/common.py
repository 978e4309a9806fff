"""Pieces the donations schemas share: the id field, euro amounts from cents, date ranges."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields

from app.core.api import StrictSchema
from app.core.money import cents_to_euros

id_field = fields.Function(lambda d: str(d["_id"]), required=True)


def euros(key: str):
    """Euros on the wire from the integer cents under `key` (0 when absent)."""
    return fields.Function(lambda d: cents_to_euros(d.get(key) or 0))


def check_date_order(data) -> None:
    """`to` (inclusive) must not come before `from`."""
    start, end = data.get("from_date"), data.get("to_date")
    if start and end and end < start:
        raise ma.ValidationError({"to": ["Must not be before 'from'."]})


class DateRangeQuery(StrictSchema):
    from_date = fields.Date(data_key="from", metadata={"description": "YYYY-MM-DD (inclusive); default: 30 days ago"})
    to_date = fields.Date(data_key="to", metadata={"description": "YYYY-MM-DD (inclusive); default: today"})

    @ma.validates_schema
    def _range(self, data, **kwargs):
        check_date_order(data)
        start, end = data.get("from_date"), data.get("to_date")
        if start and end and (end - start).days > 731:
            raise ma.ValidationError({"to": ["At most two years."]})
