"""What the command-line tools print: TensorFlow quiet unless asked, progress that suits
where it goes. Free of TensorFlow imports, so a CLI can call it before TensorFlow loads.

* :func:`quiet_tensorflow` makes the process's first TensorFlow import capture its C++
  start-up lines (oneDNN notice, CUDA stubs, cpu_feature_guard, and the ``cuInit`` error
  on a machine without a GPU) instead of printing them. TF 2.21 writes them through absl
  whatever ``TF_CPP_MIN_LOG_LEVEL`` says, so the only reliable way is to point file
  descriptor 2 elsewhere while the import and the first device query run. On failure the
  captured text is printed, so a broken install still explains itself. ``python -m
  keras_medgan.<tool>`` calls it from the package's ``__init__``. It also drops two
  Python-side warnings that are noise for our users: Keras's "legacy HDF5" warning on
  every export (``.h5`` is P1's format, written on purpose) and tf.function's retracing
  warning (the benchmark builds one classifier per arm and seed by design).
* ``--verbose`` on any CLI (or ``KERAS_MEDGAN_VERBOSE=1``) keeps all of it.
* :class:`Progress` -- a throttled ``done/total (rate, ETA)`` line: rewritten in place
  with ``\\r`` on a terminal, plain lines every ``log_every`` seconds in a log file, so
  logs never hold lines run together.
"""

from __future__ import annotations

import contextlib
import importlib.abc
import importlib.util
import logging
import math
import os
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence

VERBOSE_ENV = "KERAS_MEDGAN_VERBOSE"

# Python-side log messages that say nothing a user can act on (substrings).
NOISE = (
    "saving your model as an HDF5 file",  # keras: .h5 is P1's format, asked for on purpose
    "triggered tf.function retracing",  # one classifier per arm and seed, by design
)


def wants_verbose(argv: Sequence[str] | None = None) -> bool:
    """``--verbose`` among the arguments (``sys.argv`` when None) or KERAS_MEDGAN_VERBOSE set."""
    args = sys.argv[1:] if argv is None else argv
    return "--verbose" in args or os.environ.get(VERBOSE_ENV, "") not in ("", "0")


def add_verbose_flag(parser) -> None:
    """The one ``--verbose`` flag every CLI shares (read early by :func:`wants_verbose`)."""
    parser.add_argument(
        "--verbose",
        action="store_true",
        help="show TensorFlow's start-up and warning messages (hidden by default)",
    )


def plain(docstring: str) -> str:
    """A module docstring as ``--help`` text: reStructuredText's double backquotes dropped."""
    return docstring.replace("``", "")


class _DropNoise(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not any(text in message for text in NOISE)


def _drop_python_noise() -> None:
    for name in ("absl", "tensorflow"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, _DropNoise) for f in logger.filters):
            logger.addFilter(_DropNoise())


@contextlib.contextmanager
def _stderr_captured() -> Iterator[tempfile.TemporaryFile]:
    """Point file descriptor 2 at a temporary file (C++ writes there, not to sys.stderr)."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield sink
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)


def quiet_tensorflow(verbose: bool = False) -> None:
    """Hide TensorFlow's start-up noise in this process unless ``verbose``: the first
    ``import tensorflow`` (directly or through Keras) runs with file descriptor 2 captured,
    whenever it happens, so tools that never need TensorFlow do not pay for loading it.
    Safe to call more than once; a no-op for the import once TensorFlow is loaded."""
    if verbose:
        return
    _drop_python_noise()
    if "tensorflow" in sys.modules or any(isinstance(f, _QuietImport) for f in sys.meta_path):
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    sys.meta_path.insert(0, _QuietImport())


class _QuietImport(importlib.abc.MetaPathFinder):
    """Finds ``tensorflow`` the normal way, then wraps its loader in :class:`_QuietLoader`."""

    def find_spec(self, name, path=None, target=None):
        if name != "tensorflow":
            return None
        sys.meta_path.remove(self)  # once; and the lookup below must not come back here
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.loader is not None:
            spec.loader = _QuietLoader(spec.loader)
        return spec


class _QuietLoader(importlib.abc.Loader):
    def __init__(self, inner):
        self.inner = inner

    def __getattr__(self, name):  # resource readers etc. come from the real loader
        return getattr(self.inner, name)

    def create_module(self, spec):
        return self.inner.create_module(spec)

    def exec_module(self, module) -> None:
        captured = ""
        try:
            with _stderr_captured() as sink:
                try:
                    self.inner.exec_module(module)
                    module.config.list_physical_devices("GPU")  # where cuInit is tried
                except BaseException:
                    sink.seek(0)
                    captured = sink.read().decode(errors="replace")
                    raise
        except BaseException:
            sys.stderr.write(captured)  # a broken install still explains itself
            raise


class Progress:
    """``Progress(total, "decoding")``; call ``update(done)``; ``close()`` at the end.

    Silent for short jobs (the first line appears after ``delay`` seconds), so tests and
    small sets stay quiet while a 100k-file RSNA load still says how long it will take.
    On a terminal the line is rewritten in place every ``every`` seconds; elsewhere (a
    log file, a pipe) a full line is written every ``log_every`` seconds.
    """

    def __init__(
        self,
        total: int,
        label: str,
        enabled: bool = True,
        delay: float = 2.0,
        every: float = 2.0,
        stream=None,
        log_every: float = 30.0,
    ):
        self.total, self.label, self.enabled = total, label, enabled
        self.delay = delay
        self.stream = stream or sys.stderr
        self.live = _is_terminal(self.stream)
        self.every = every if self.live else log_every
        self.start = time.perf_counter()
        self.last = None
        self.shown = False

    def update(self, done: int) -> None:
        if not self.enabled:
            return
        now = time.perf_counter()
        elapsed = now - self.start
        if elapsed < self.delay or (self.last is not None and now - self.last < self.every):
            return
        self.last = now
        rate = done / elapsed if elapsed > 0 else 0.0
        eta = (self.total - done) / rate if rate > 0 else float("inf")
        line = f"{self.label}: {done}/{self.total} ({rate:.0f}/s, ETA {format_duration(eta)})"
        self.stream.write(f"\r{line}   " if self.live else f"{line}\n")
        self.stream.flush()
        self.shown = True

    def close(self) -> None:
        if self.shown:
            elapsed = time.perf_counter() - self.start
            line = f"{self.label}: {self.total}/{self.total} done in {format_duration(elapsed)}"
            self.stream.write(f"\r{line}      \n" if self.live else f"{line}\n")
            self.stream.flush()


def _is_terminal(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def format_duration(seconds: float) -> str:
    """``3725`` → ``1h02m``; ``75`` → ``1m15s``; ``4.2`` → ``4s``; not finite → ``?``.
    The one duration format of every progress line and ETA."""
    if not math.isfinite(seconds):
        return "?"
    seconds = round(max(seconds, 0.0))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    if minutes:
        return f"{minutes}m{secs:02d}s"
    return f"{secs}s"


#: Exit status of a run stopped by SIGTERM / SIGUSR1 (a scheduler's time limit or
#: preemption) after keeping its last whole epoch: 128 + SIGTERM, as a shell reports it.
EXIT_PREEMPTED = 143


class Preemption:
    """``with Preemption() as stop:`` — SIGTERM and SIGUSR1 (SLURM's ``--signal``) raise
    KeyboardInterrupt in the main thread, so a tool's Ctrl-C path (keep the last whole
    epoch, say how to resume) runs for them too; ``stop.signal`` then names the signal,
    and the tool exits with :data:`EXIT_PREEMPTED` instead of 130. Inside
    :func:`stop_at_epoch_end` (a training loop) the first such signal does not raise: it
    is recorded, the loop finishes the epoch it is in, checkpoints it and stops, so a
    scheduler's signal loses no finished work; a second signal raises at once. Handlers
    are restored on exit; outside the main thread it does nothing."""

    SIGNALS = ("SIGTERM", "SIGUSR1")

    def __init__(self):
        self.signal: str | None = None
        self._saved: dict = {}

    def _handle(self, signum, frame):
        self.signal = signal.Signals(signum).name
        if _STOP["loops"] and _STOP["requested"] is None:
            _STOP["requested"] = self.signal
            print(
                f"\n{self.signal} received: finishing this epoch, then checkpointing and "
                "stopping (a second signal stops at once)",
                file=sys.stderr,
                flush=True,
            )
            return
        raise KeyboardInterrupt

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            _STOP["requested"] = None
            for name in self.SIGNALS:
                sig = getattr(signal, name, None)
                if sig is not None:
                    self._saved[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc):
        for sig, handler in self._saved.items():
            signal.signal(sig, handler)
        return False

    def exit_code(self, interrupted: int = 130) -> int:
        return EXIT_PREEMPTED if self.signal else interrupted


#: Shared by :class:`Preemption`'s handler and the training loops: how many loops can stop
#: at an epoch end now, and the signal that asked them to (None: none yet).
_STOP: dict = {"loops": 0, "requested": None}


@contextlib.contextmanager
def stop_at_epoch_end() -> Iterator[None]:
    """Around a training loop that checks :func:`stop_requested` at each epoch end."""
    _STOP["loops"] += 1
    try:
        yield
    finally:
        _STOP["loops"] -= 1


def stop_requested() -> str | None:
    """The scheduler's signal a training loop should stop for at its next epoch end."""
    return _STOP["requested"]


def run_main(main: Callable[[], int]) -> None:
    """Run a tool's ``main`` and exit with its code. Output cut short by a closed pipe
    (``... --print-config | head``) ends quietly with 141 (128 + SIGPIPE, what a shell
    reports for a C tool), not with a BrokenPipeError traceback."""
    try:
        code = main()
        sys.stdout.flush()
    except BrokenPipeError:
        # stdout is gone: point it at /dev/null so the interpreter's final flush is silent
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        code = 141
    sys.exit(code)


class CellProgress:
    """One line per finished unit of work (a benchmark job, a study cell) with an ETA from
    the mean time of each kind so far; kinds not yet timed are named, not guessed."""

    def __init__(self, kinds_left: dict[str, int], total: int, done: int, stream):
        self.left = dict(kinds_left)
        self.total, self.done, self.stream = total, done, stream
        self.seconds: dict[str, list[float]] = {}

    def eta(self) -> str:
        unknown = [k for k, n in self.left.items() if n and k not in self.seconds]
        eta = sum(
            sum(self.seconds[k]) / len(self.seconds[k]) * n
            for k, n in self.left.items()
            if n and k in self.seconds
        )
        return format_duration(eta) + (
            " + " + "/".join(unknown) + " cells not yet timed" if unknown else ""
        )

    def log(self, kind: str, label: str, seconds: float, summary: str) -> None:
        self.done += 1
        self.left[kind] = self.left.get(kind, 1) - 1
        self.seconds.setdefault(kind, []).append(seconds)
        print(
            f"[{self.done}/{self.total}] {label}: {summary} ({format_duration(seconds)}; "
            f"ETA {self.eta()})",
            file=self.stream,
            flush=True,
        )
