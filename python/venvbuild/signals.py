"""SIGTERM (what a Jenkins abort or `kill` sends) as an interrupt, so `finally` blocks clean up."""

import signal
import threading
from contextlib import contextmanager


class Terminated(KeyboardInterrupt):
    """Raised in the main thread when SIGTERM arrives."""


def _raise(signum, frame):
    raise Terminated()


@contextmanager
def terminate_as_interrupt():
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
