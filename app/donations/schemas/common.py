"""Pieces the donations schemas share: date ranges."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields

from app.core.api import QuerySchema


def check_date_order(data) -> None:
    """`to` (inclusive) must not come before `from`."""
    start, end = data.get("from_date"), data.get("to_date")
    if start and end and end < start:
        raise ma.ValidationError({"to": ["Must not be before 'from'."]})


class DateRangeQuery(QuerySchema):
    from_date = fields.Date(data_key="from", metadata={"description": "YYYY-MM-DD (inclusive); default: 30 days ago"})
    to_date = fields.Date(
        data_key="to",
        metadata={
            "description": "YYYY-MM-DD (inclusive), not before `from`, at most two years after it; default: today"
        },
    )

    @ma.validates_schema
    def _range(self, data, **kwargs):
        check_date_order(data)
        start, end = data.get("from_date"), data.get("to_date")
        if start and end and (end - start).days > 731:
            raise ma.ValidationError({"to": ["At most two years."]})
