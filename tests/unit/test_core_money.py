import marshmallow as ma
import pytest

from app.core.api import Money, StrictSchema
from app.core.money import cents_to_euros


class Body(StrictSchema):
    amount = Money(required=True)


@pytest.mark.parametrize("value,cents", [(12.5, 1250), (0.5, 50), (3.1, 310), (7, 700), (0.01, 1), (19.99, 1999)])
def test_euros_become_integer_cents(value, cents):
    assert Body().load({"amount": value}) == {"amount": cents}


@pytest.mark.parametrize("value", [0, -1, 0.001, 1.005, "abc", "3.10", "2", True, None, "NaN", "Infinity", [1]])
def test_bad_amounts_are_validation_errors(value):
    with pytest.raises(ma.ValidationError):
        Body().load({"amount": value})


def test_cents_render_as_euros():
    assert cents_to_euros(1250) == 12.5
    assert cents_to_euros(1) == 0.01
    assert Body().dump({"amount": 1999}) == {"amount": 19.99}


def test_unknown_fields_are_rejected():
    with pytest.raises(ma.ValidationError) as err:
        Body().load({"amount": 1, "extra": True})
    assert "extra" in err.value.messages
