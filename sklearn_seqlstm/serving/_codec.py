"""The pieces of a saved file: labels with their types, arrays, parameters, atomic writes.

A saved model (``serving/_persistence.py``), a saved stream
(``serving/_stream.py``) and an exported graph's vocabulary
(``serving/_onnx.py``) write and read their values with these functions, and
each estimator's serializer (``serving/_serializers.py``) builds on them.
"""

import math
import warnings
from numbers import Integral, Real
from pathlib import Path

import numpy as np

from ..utils._files import replacing

__all__ = [
    "build_estimator",
    "check_target",
    "decode_array",
    "decode_values",
    "encode_array",
    "encode_params",
    "encode_values",
    "require_arrays",
    "write_atomically",
]


# Files --------------------------------------------------------------------------------


def check_target(path, overwrite):
    """The path to write, or a clear error if it exists (without ``overwrite``)."""
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a folder; give the path of a file to write.")
    # A symbolic link counts as existing even when it points nowhere: writing would
    # replace the link, as the seqlstm commands refuse to.
    if (path.exists() or path.is_symlink()) and not overwrite:
        raise FileExistsError(f"{path} exists; pass overwrite=True to replace it.")
    if not path.parent.is_dir():
        raise FileNotFoundError(f"{path}: the folder {path.parent} does not exist.")
    return path


def write_atomically(path, write):
    """Call ``write(temporary_path)``, then rename the file to ``path``.

    A crash or an error while writing leaves ``path`` as it was: a model is
    never half-written over a good one. The same mechanism as every output file
    of the ``seqlstm`` commands (:func:`._files.replacing`).
    """
    with replacing(path) as temporary:
        write(temporary)


# Labels and events with their types ---------------------------------------------------

# numpy scalar types, by name; anything else is refused rather than guessed.
_NUMPY_TYPES = {
    np.dtype(name).type.__name__: np.dtype(name).type
    for name in [
        "int8",
        "int16",
        "int32",
        "int64",
        "uint8",
        "uint16",
        "uint32",
        "uint64",
        "float16",
        "float32",
        "float64",
        "bool",
        "str",
    ]
}
_PYTHON_TYPES = {"str": str, "int": int, "float": float, "bool": bool}


# The event of every step of numeric-step histories (AttributedHistories.from_numeric_steps).
_NO_EVENT = "sklearn_seqlstm.NO_EVENT"
# The most bytes a decoded label array may take: a saved document is far smaller.
_MAX_LABEL_BYTES = 2**28


def encode_values(values, what):
    """A list of [type name, JSON value] pairs; refuses values JSON cannot hold exactly."""
    from ..histories._attributed import NO_EVENT

    encoded = []
    for value in values:
        kind = type(value)
        if kind in (str, bool, int, float):
            encoded.append([kind.__name__, _json_number(value, what)])
        elif isinstance(value, np.generic) and type(value).__name__ in _NUMPY_TYPES:
            encoded.append([f"numpy.{kind.__name__}", _json_number(value.item(), what)])
        elif value is NO_EVENT:
            encoded.append([_NO_EVENT, None])
        else:
            raise ValueError(
                f"Cannot save {what} {value!r} of type {kind.__name__}: a saved model holds "
                "labels and events of type str, int, float or bool (Python or numpy) only. "
                "Map them to such values before fitting."
            )
    return encoded


def _json_number(value, what):
    """``value``, with an infinite float as the string "inf" or "-inf" (JSON has neither)."""
    if isinstance(value, float) and not math.isfinite(value):
        if math.isnan(value):
            raise ValueError(f"Cannot save {what} NaN: a missing value is no label or event.")
        return "inf" if value > 0 else "-inf"
    return value


def decode_values(encoded, what):
    """The values of :func:`encode_values`, with their types.

    A value must be one its type holds exactly, as :func:`encode_values` writes
    it: an integer within its numpy type's range, a finite float that survives
    the conversion unchanged (or "inf" / "-inf" for an infinite one), a bool
    for a bool. Anything else is a tampered file, refused here rather than
    overflowing or rounding later.
    """
    if not isinstance(encoded, list):
        raise ValueError(f"{what} must be a list, got {type(encoded).__name__}.")
    return [_decode_value(item, what) for item in encoded]


def _decode_value(item, what):
    if not (isinstance(item, list) and len(item) == 2 and isinstance(item[0], str)):
        raise ValueError(f"{what}: each value must be a [type, value] pair, got {item!r:.80}.")
    name, value = item
    if name == _NO_EVENT and value is None:
        from ..histories._attributed import NO_EVENT

        return NO_EVENT
    if name in _PYTHON_TYPES:
        kind = _PYTHON_TYPES[name]
    elif name.startswith("numpy.") and name[6:] in _NUMPY_TYPES:
        kind = _NUMPY_TYPES[name[6:]]
    else:
        raise ValueError(f"{what}: unknown value type {name!r:.80}.")
    family = np.dtype(kind).kind if kind is not int else "i"
    is_integer = isinstance(value, int) and not isinstance(value, bool)
    if family == "U":
        exact = isinstance(value, str)
    elif family == "b":
        exact = isinstance(value, bool)
    elif family in "iu":
        exact = is_integer and (kind is int or np.iinfo(kind).min <= value <= np.iinfo(kind).max)
    elif value in ("inf", "-inf"):  # an infinite float, as _json_number writes it
        exact = True
    else:  # a float: finite, and unchanged by its type
        exact = (is_integer or isinstance(value, float)) and _same_float(kind, value)
    if not exact:
        raise ValueError(f"{what}: {value!r:.80} is not a value of type {name}.")
    return kind(value)


def _same_float(kind, value):
    try:
        converted = float(kind(value))
    except OverflowError:
        return False
    return math.isfinite(converted) and converted == value


def encode_array(array, what):
    """A 1-D label array (``classes_``) as its dtype and typed values."""
    array = np.asarray(array)
    if array.dtype.kind not in "UiufbO":
        raise ValueError(f"Cannot save {what} of dtype {array.dtype}.")
    return {"dtype": array.dtype.str, "values": encode_values(array.tolist(), what)}


def decode_array(document, what, unique=False):
    """The array of :func:`encode_array`; its values must fit its dtype exactly.

    A dtype too narrow for the values (``<U1`` for ``["AB", "AC"]``, ``|i1``
    for 1000) is refused: it would silently truncate or overflow them. With
    ``unique``, the values must be distinct (the classes of a classifier).
    """
    values = decode_values(_require(document, "values", what), what)
    name = _require(document, "dtype", what)
    try:
        dtype = np.dtype(name) if isinstance(name, str) else None
    except (TypeError, ValueError):
        dtype = None
    if dtype is None or dtype.kind not in "UiufbO" or dtype.fields is not None:
        raise ValueError(f"{what}: dtype {name!r:.80} is not a label dtype.")
    if len(values) * dtype.itemsize > _MAX_LABEL_BYTES:
        raise ValueError(f"{what}: dtype {name!r:.80} makes the labels too large to load.")
    array = np.empty(len(values), dtype=dtype)
    try:
        array[:] = values if dtype.kind != "O" else _object_list(values)
        kept = array.tolist()
    except (OverflowError, TypeError, ValueError):
        kept = None
    if kept is None or any(a != b for a, b in zip(kept, values, strict=True)):
        raise ValueError(f"{what}: the labels do not fit their dtype {dtype.str}.")
    if unique and len(set(kept)) != len(kept):
        raise ValueError(f"{what}: the labels are not distinct.")
    return array


def _object_list(values):
    # Assigning a list to an object array must not make nested arrays of tuples.
    out = np.empty(len(values), dtype=object)
    for i, value in enumerate(values):
        out[i] = value
    return out


def _require(document, key, what):
    if not isinstance(document, dict) or key not in document:
        raise ValueError(f"{what}: the saved model lacks {key!r}.")
    return document[key]


# Parameters -----------------------------------------------------------------------------


def encode_params(estimator, dropped=()):
    """``get_params()`` as JSON; ``dropped`` parameters are saved as None with a warning."""
    params = {}
    for name, value in estimator.get_params(deep=False).items():
        if name in dropped and value is not None:
            warnings.warn(
                f"{type(estimator).__name__}.{name}={value!r} is not saved (it is not "
                "data: it may hold code); the loaded model has it set to None.",
                UserWarning,
                stacklevel=3,
            )
            value = None
        elif name == "device" and not isinstance(value, str):
            value = str(value)  # a torch.device
        elif isinstance(value, np.generic):
            value = value.item()
        if value is not None and not isinstance(value, (str, bool, Integral, Real)):
            raise ValueError(
                f"Cannot save the parameter {name}={value!r}: only strings, numbers, "
                "booleans and None can be saved."
            )
        params[name] = value
    return params


def build_estimator(cls, params, what):
    """``cls(**params)``, with the parameters checked as ``fit`` would check them."""
    if not isinstance(params, dict):
        raise ValueError(f"{what}: 'params' must be a mapping.")
    known = set(cls().get_params(deep=False))
    unknown = sorted(set(params) - known)
    if unknown:
        raise ValueError(f"{what}: unknown parameters of {cls.__name__}: {unknown}.")
    estimator = cls(**params)
    try:
        estimator._validate_params()
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{what}: invalid parameters: {exc}") from None
    return estimator


def require_arrays(arrays, expected, what):
    """Check that ``arrays`` holds exactly the names of ``expected`` with their shapes/dtypes.

    ``expected`` maps a name to (shape, dtype); a shape of None accepts any 1-D array.
    """
    missing = sorted(set(expected) - set(arrays))
    extra = sorted(set(arrays) - set(expected))
    if missing or extra:
        raise ValueError(
            f"{what}: the weights do not match the model: missing {missing[:10]}, unexpected "
            f"{extra[:10]}{' (and more)' if max(len(missing), len(extra)) > 10 else ''}."
        )
    for name, (shape, dtype) in expected.items():
        array = arrays[name]
        if (shape is None and array.ndim != 1) or (shape is not None and array.shape != shape):
            raise ValueError(
                f"{what}: weight {name!r} has shape {array.shape}, expected "
                f"{shape if shape is not None else '1-D'}."
            )
        if dtype is not None and array.dtype != np.dtype(dtype):
            raise ValueError(f"{what}: weight {name!r} has dtype {array.dtype}, expected {dtype}.")
        # A trained model's weights and counts are finite; NaN ones give NaN predictions.
        if array.dtype.kind == "f" and not np.isfinite(array).all():
            raise ValueError(f"{what}: weight {name!r} holds NaN or infinite values.")
