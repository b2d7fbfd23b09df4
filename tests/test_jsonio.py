import json
import math

import numpy as np
import pytest

from keras_medgan.core.jsonio import jsonable


def test_numpy_types_become_python_and_the_result_is_strict_json():
    value = {
        "a": np.float32(0.5),
        "b": np.int64(3),
        "c": np.array([1.0, 2.0]),
        4: (np.bool_(True),),
    }
    out = jsonable(value)
    assert out == {"a": 0.5, "b": 3, "c": [1.0, 2.0], "4": [True]}
    json.dumps(out, allow_nan=False)


@pytest.mark.parametrize(
    "nonfinite, expected",
    [
        ("null", [None, None, None]),
        ("string", ["nan", "inf", "-inf"]),
    ],
)
def test_non_finite_floats_follow_the_chosen_convention(nonfinite, expected):
    values = [math.nan, np.float64("inf"), -math.inf]
    out = jsonable({"x": values}, nonfinite=nonfinite)
    assert out == {"x": expected}
    json.dumps(out, allow_nan=False)


def test_unknown_convention_is_refused():
    with pytest.raises(ValueError, match="nonfinite"):
        jsonable(1.0, nonfinite="zero")
