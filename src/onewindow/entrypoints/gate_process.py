"""The gate desk in a process of its own, started and kept running by ``onewindow serve``.

Why a process: a gate reader must be answered in milliseconds while declarations pour in. In one
Python process the submissions' writer holds the interpreter lock for milliseconds at a time (its
rules, its inserts, the risk model), and every gate decision waits behind it: at 2,000 decisions
and 200 submissions a second, the slowest 1% of decisions took 20 ms in one process. The desk's own
process shares nothing with the writer but the database file: it answers from its in-memory view
of the release state (``gate.view``, which follows the outbox every 20 ms and at once after its own
commits), logs passages and confirmations through its own group committer (on SQLite the two
writers take turns by ``persistence.engine.WriterLock``), and keeps deciding while the API is busy
or restarting.

What the embedded default therefore runs: ``onewindow serve`` (API, portal, writer, relay, the
agencies' consumers) on ``--port``, and its child ``onewindow serve --role gate`` on
``--gate-port`` (default: the next port; ``--gate-port 0`` keeps the gates in the one process, as
the API's own gate routes always are). The child is restarted if it dies, stopped with its parent,
and dies with it even when the parent is killed (Linux's parent-death signal).
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import subprocess
import sys
import threading

from onewindow.settings import Settings

__all__ = ["GateProcess", "die_with_parent"]

log = logging.getLogger(__name__)

RESTART_DELAY = 1.0  # seconds between a child's death and its restart
PARENT_ENV = "ONEWINDOW_GATE_PARENT"  # set for the child: the pid it must not outlive
_PR_SET_PDEATHSIG = 1


class GateProcess:
    """``serve --role gate`` on ``host:port`` as a child, restarted whenever it exits until
    ``stop()``. Every start is made from one watcher thread, which lives as long as the desk is
    wanted: Linux delivers the parent-death signal when the thread that started a child ends."""

    def __init__(self, settings: Settings, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._env = {
            **os.environ,
            "ONEWINDOW_DATA_DIR": str(settings.data_dir),
            "ONEWINDOW_DATABASE_URL": settings.database_url,
            "ONEWINDOW_SQLITE_SYNCHRONOUS": settings.sqlite_synchronous,
            PARENT_ENV: str(os.getpid()),
        }
        self._stopping = threading.Event()
        self._proc: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._watch, name="gate-desk-watcher", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the desk to finish (its last log lines are committed first), then wait for it."""
        self._stopping.set()
        with self._lock:
            proc = self._proc
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if self._thread is not None:
            self._thread.join(timeout)

    def _watch(self) -> None:
        while not self._stopping.is_set():
            with self._lock:
                if self._stopping.is_set():
                    return
                self._proc = self._spawn()
            code = self._proc.wait()
            if self._stopping.is_set():
                return
            log.error("the gate desk (pid %d) exited with %s; restarting it", self._proc.pid, code)
            self._stopping.wait(RESTART_DELAY)

    def _spawn(self) -> subprocess.Popen[bytes]:
        args = ["serve", "--role", "gate", "--host", self.host, "--port", str(self.port), "--gate-port", "0"]
        return subprocess.Popen([sys.executable, "-m", "onewindow.entrypoints.cli", *args], env=self._env)


def die_with_parent() -> None:
    """In the gate desk's process: end when the ``serve`` that started it ends, however it ends
    (no desk left answering from a view that nothing updates any more). Linux only; elsewhere the
    parent's SIGTERM still stops it."""
    parent = os.environ.get(PARENT_ENV)
    if not parent:
        return
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    if os.getppid() != int(parent):  # the parent died before the signal was asked for
        sys.exit(0)
