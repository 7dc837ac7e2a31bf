"""The benchmarks' ``--candidate`` option: a change of a default, checked before any fit."""

import argparse
import sys
from pathlib import Path

import pytest

from sklearn_seqlstm import NextEventClassifier, NextValueRegressor

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from _candidates import add_candidate_argument, candidate_params  # noqa: E402


def test_a_candidate_is_parsed_as_python_literals():
    params = candidate_params("dropout=0.2, lr=0.003,batch_size='auto'", NextEventClassifier)
    assert params == {"dropout": 0.2, "lr": 0.003, "batch_size": "auto"}
    assert candidate_params("target_bins=None", NextValueRegressor) == {"target_bins": None}


@pytest.mark.parametrize(
    "text, estimator, message",
    [
        ("dropot=0.2", NextEventClassifier, "unexpected keyword argument 'dropot'"),
        ("dropout=2.0", NextEventClassifier, "'dropout' parameter"),
        ("lr=fast", NextEventClassifier, "'fast' is not a Python literal"),
        ("dropout", NextEventClassifier, "expected NAME=VALUE"),
        ("=0.2", NextEventClassifier, "expected NAME=VALUE"),
        # A parameter of the regressor only is refused for the classifier.
        ("target_bins=4", NextEventClassifier, "unexpected keyword argument 'target_bins'"),
    ],
)
def test_a_bad_candidate_stops_the_script_with_one_line_naming_it(text, estimator, message):
    with pytest.raises(SystemExit) as stopped:
        candidate_params(text, estimator)
    line = str(stopped.value)
    assert line.startswith(f"--candidate {text!r}: ") and message in line
    assert "\n" not in line


def test_the_option_may_be_repeated():
    parser = argparse.ArgumentParser()
    add_candidate_argument(parser, "NextEventClassifier")
    assert parser.parse_args([]).candidate == []
    args = parser.parse_args(["--candidate", "dropout=0.2", "--candidate", "lr=0.003"])
    assert args.candidate == ["dropout=0.2", "lr=0.003"]
