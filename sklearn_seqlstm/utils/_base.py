"""What every estimator here shares: a fit that fails leaves the estimator as it was."""

import functools

__all__ = ["restore_on_failure"]


def restore_on_failure(fit):
    """Decorate ``fit`` so that, if it raises, the estimator is left as it was.

    A fit that fails part-way (bad input found late, a callback that raises,
    Ctrl-C outside of skorch's training loop) would otherwise leave a mix of new
    and old fitted attributes: ``classes_`` of the new data beside the net of an
    older fit. ``fit`` replaces its attributes rather than changing them in
    place, so a shallow copy of ``__dict__`` is enough to restore them.
    Ctrl-C *inside* skorch's loop is not an exception here: skorch stops
    training and ``fit`` returns the model trained so far.
    """

    @functools.wraps(fit)
    def wrapper(self, *args, **kwargs):
        before = dict(self.__dict__)
        try:
            return fit(self, *args, **kwargs)
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(before)
            raise

    return wrapper
