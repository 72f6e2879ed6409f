import numpy as np
import pytest

from genlab.checks import check_features, check_labels
from genlab.errors import InputShapeError, InvalidValueError, LabelError


def test_features_shape_nan_and_type():
    assert check_features(np.zeros((3, 4)), (4,)).dtype == np.float32
    with pytest.raises(InputShapeError, match=r"shape \(3, 5\); the model expects \(n_rows, 4\)"):
        check_features(np.zeros((3, 5)), (4,))
    x = np.zeros((3, 4))
    x[1, 2] = np.nan
    with pytest.raises(InvalidValueError, match="1 NaN or infinite values in 1 rows"):
        check_features(x, (4,))
    with pytest.raises(InvalidValueError, match="must be numeric"):
        check_features([["a", "b"]], (2,))
    with pytest.raises(InputShapeError, match="no rows"):
        check_features(np.zeros((0, 4)), (4,))


def test_labels():
    np.testing.assert_array_equal(check_labels([0, 1, 1], 2, 3), [0, 1, 1])
    np.testing.assert_array_equal(check_labels(np.eye(3)[[2, 0]], 3, 2), [2, 0])
    with pytest.raises(LabelError, match=r"labels \[2\] outside \[0, 2\)"):
        check_labels([0, 2], 2, 2)
    with pytest.raises(LabelError, match="3 labels for 2 rows"):
        check_labels([0, 1, 1], 2, 2)
    with pytest.raises(LabelError, match="integer class indices"):
        check_labels([0.5, 1.0], 2, 2)
