"""scikit-learn's own estimator checks, over every public estimator."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_seqlstm import NextEventClassifier

# Checks that cannot apply to sequence input, each with its reason. Empty is the goal.
EXPECTED_FAILED_CHECKS = {}


def _expected_failed_checks(estimator):
    return EXPECTED_FAILED_CHECKS.get(type(estimator).__name__, {})


@parametrize_with_checks(
    [NextEventClassifier(random_state=0)],
    expected_failed_checks=_expected_failed_checks,
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
