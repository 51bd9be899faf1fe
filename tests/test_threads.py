"""threads.py: in_background hands back the result, or the exception, of work on another thread."""
import threading

import pytest

from streamnlp.threads import in_background


def test_in_background_returns_the_result_computed_on_another_thread():
    wait = in_background(lambda x: (x * 2, threading.current_thread() is threading.main_thread()), 21)
    assert wait() == (42, False)


def test_in_background_raises_the_error_in_the_caller():
    def fail():
        raise ValueError("boom")
    with pytest.raises(ValueError, match="boom"):
        in_background(fail)()
