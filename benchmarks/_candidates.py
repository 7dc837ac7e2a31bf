"""``--candidate "name=value,..."``: a change of a default, measured beside the defaults.

A default is changed only on a paired measurement against the defaults it would
replace, on every data set of a benchmark; the benchmarks that measure defaults share
this option so that one command line gives that measurement.
"""

import ast


def add_candidate_argument(parser, estimator_name):
    parser.add_argument(
        "--candidate",
        action="append",
        default=[],
        metavar="NAME=VALUE,...",
        help=f"an extra row: {estimator_name}'s defaults with these parameters changed "
        "(Python literals) and its paired difference with the defaults, to measure a "
        "change of a default; may be repeated",
    )


def candidate_params(text, estimator):
    """``"dropout=0.1,lr=0.003"`` as parameters of ``estimator`` (a class), checked now.

    A typo or a value out of range fails here, before hours of fits, not after them.
    """
    params = {}
    for item in text.split(","):
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise SystemExit(f"--candidate {text!r}: expected NAME=VALUE, got {item!r}")
        try:
            params[name.strip()] = ast.literal_eval(value.strip())
        except (ValueError, SyntaxError):
            raise SystemExit(
                f"--candidate {text!r}: {value.strip()!r} is not a Python literal"
            ) from None
    try:
        estimator(**params)._validate_params()
    except (TypeError, ValueError) as error:
        raise SystemExit(f"--candidate {text!r}: {error}") from None
    return params
