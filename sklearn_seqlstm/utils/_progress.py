"""Progress bars from tqdm, an optional dependency."""

__all__ = ["progress_bar"]


def progress_bar(total, *, enabled=True, **tqdm_kwargs):
    """A tqdm bar, or a stand-in that shows nothing when not wanted or tqdm is missing.

    Both work as context managers and have ``update``, ``set_description``,
    ``set_postfix_str`` and ``close``, so callers need no check of their own.
    """
    if enabled:
        try:
            from tqdm.auto import tqdm
        except ImportError:
            pass
        else:
            return tqdm(total=total, dynamic_ncols=True, **tqdm_kwargs)
    return _NoBar()


class _NoBar:
    def update(self, n=1):
        pass

    def set_description(self, desc=None, refresh=True):
        pass

    def set_postfix_str(self, s="", refresh=True):
        pass

    def close(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()
