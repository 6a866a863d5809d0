"""JsonInt refuses what a JSON Schema integer refuses and takes what it takes."""

import pytest
from pydantic import ValidationError

from motcua_intake.filing.submissions import Submission
from motcua_intake.tracking.api import RatingIn

APPLICANT = {"full_name": "Nguyễn Văn A", "id_number": "001234567890", "phone": "0912345678",
             "address": "1 Tràng Tiền"}


def submission(**extra):
    return {"procedure_code": "2.000488", "channel": "online", "applicant": APPLICANT,
            "delivery": {"channel": "online"}, **extra}


@pytest.mark.parametrize("fees", [False, True, "5", "0"])
def test_fees_paid_must_be_a_json_integer(fees):
    with pytest.raises(ValidationError, match="valid integer"):
        Submission.model_validate(submission(fees_paid=fees))


@pytest.mark.parametrize("fees", [0, 5, 5.0])
def test_fees_paid_takes_every_json_integer(fees):
    assert Submission.model_validate(submission(fees_paid=fees)).fees_paid == int(fees)


def test_the_rating_indicators_are_bounded_json_integers_in_the_schema_too():
    rating = {"id_number": "001234567890", "convenience": "satisfied", "overall": "satisfied"}
    assert RatingIn.model_validate({**rating, "indicators": [1.0] * 9}).indicators == [1] * 9
    for wrong in (False, "1", 3, -1):
        with pytest.raises(ValidationError):
            RatingIn.model_validate({**rating, "indicators": [wrong] * 9})
    items = RatingIn.model_json_schema()["properties"]["indicators"]["items"]
    assert items == {"type": "integer", "minimum": 0, "maximum": 2}
