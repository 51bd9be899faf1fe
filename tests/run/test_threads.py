"""threads.py: in_background hands back the result, or the exception, of work on another thread."""
import threading

import pytest

from streamnlp.run.threads import in_background


def test_in_background_returns_the_result_computed_on_another_thread():
    wait = in_background(lambda x: (x * 2, threading.current_thread() is threading.main_thread()), 21)
    assert wait() == (42, False)


def test_in_background_raises_the_error_in_the_caller():
    def fail():
        raise ValueError("boom")
    with pytest.raises(ValueError, match="boom"):
        in_background(fail)()


def test_a_caller_that_fails_first_still_lets_the_work_finish_before_the_process_ends(tmp_path):
    """Not a daemon: the interpreter's teardown under a daemon still in Numba's loader aborted runs."""
    import subprocess
    import sys
    done = tmp_path / "done"
    script = ("import time\nfrom streamnlp.run.threads import in_background\n"
              f"in_background(lambda: (time.sleep(0.5), open({str(done)!r}, 'w').close()))\n"
              "raise SystemExit(3)\n")
    res = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert res.returncode == 3 and done.exists()
