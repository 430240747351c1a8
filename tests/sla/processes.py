"""Real processes for the SLA drills: a private redis-server, Celery workers and beats.

Every process starts in its own session (process group), writes its log to a file and is
stopped by ``Drill.close``: SIGTERM, then SIGKILL of the whole group. The workers and beats
run the production settings (cc112.settings) against the pytest database and a redis-server
on a free port of their own, so stopping or killing the broker never touches a shared one.

``JournalEmailBackend`` is the workers' email backend: one JSON line per message sent,
appended by every worker to one file, so a test counts deliveries across processes.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

from django.core.mail.backends.base import BaseEmailBackend

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
CELERY = BIN / "celery"
JOURNAL_ENV = "CC112_DRILL_MAIL_JOURNAL"


class JournalEmailBackend(BaseEmailBackend):
    """Appends each message as one JSON line to the file named by CC112_DRILL_MAIL_JOURNAL."""

    def send_messages(self, email_messages) -> int:  # type: ignore[no-untyped-def]
        path = os.environ[JOURNAL_ENV]
        for message in email_messages:
            line = json.dumps(
                {
                    "to": list(message.to),
                    "subject": message.subject,
                    "body": message.body,
                    "pid": os.getpid(),
                }
            )
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(fd, (line + "\n").encode())  # one append: lines never interleave
            finally:
                os.close(fd)
        return len(email_messages)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url(settings_dict: dict, application_name: str) -> str:
    """The URL cc112.settings reads, for the database this test process uses."""
    user = quote(settings_dict.get("USER") or "", safe="")
    password = settings_dict.get("PASSWORD") or ""
    auth = user + (":" + quote(password, safe="") if password else "")
    host = quote(settings_dict.get("HOST") or "localhost", safe="")
    port = settings_dict.get("PORT") or 5432
    name = quote(settings_dict["NAME"], safe="")
    return f"postgres://{auth}@{host}:{port}/{name}?application_name={application_name}"


def wait_for(
    condition: Callable[[], object], *, timeout: float, interval: float = 0.1, what: str = ""
) -> object:
    """Poll until ``condition()`` is truthy; return it, or raise TimeoutError."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up after {timeout:.0f} s waiting for {what or condition}")
        time.sleep(interval)


class Process:
    """One child process in its own process group, logging to a file."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], log_path: Path) -> None:
        self.name = name
        self.argv = argv
        self.log_path = log_path
        self._log = open(log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.popen = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.pid = self.popen.pid
        self.stopped = False  # stopped by the test (any exit code is then expected)

    def __repr__(self) -> str:
        return f"<{self.name} pid={self.pid}>"

    @property
    def alive(self) -> bool:
        return self.popen.poll() is None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for_log(self, text: str, *, timeout: float = 60) -> None:
        def seen() -> bool:
            if text in self.log():
                return True
            if not self.alive:
                raise RuntimeError(f"{self.name} exited ({self.popen.returncode}) before {text!r}")
            return False

        wait_for(seen, timeout=timeout, what=f"{text!r} in {self.name}'s log")

    def children(self) -> list[int]:
        """The pids of this process's children (Celery's pool processes)."""
        found: list[int] = []
        for task in Path(f"/proc/{self.pid}/task").glob("*"):
            with contextlib.suppress(OSError):  # the thread ended meanwhile
                found += [int(pid) for pid in (task / "children").read_text().split()]
        return found

    def kill_group(self, sig: int = signal.SIGKILL) -> None:
        """Signal the process and everything it started (its pool) at once."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, sig)

    def stop(self, timeout: float = 5) -> None:
        """SIGTERM (Celery's warm shutdown), then SIGKILL the group; reap; close the log."""
        self.stopped = True
        if self.alive:
            try:
                self.popen.send_signal(signal.SIGTERM)
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                pass
        self.kill_group(signal.SIGKILL)  # also any pool process left behind
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(timeout)
        self._log.close()

    def tail(self, lines: int = 80) -> str:
        text = self.log().splitlines()
        return "\n".join(text[-lines:])


class RedisServer:
    """A private, memory-only redis-server; ``stop`` and ``start`` keep its port."""

    def __init__(self, binary: str, directory: Path) -> None:
        self.binary = binary
        self.directory = directory
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: Process | None = None
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        argv = [
            self.binary,
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "no",
            "--dir",
            str(self.directory),
        ]
        self.process = Process(
            f"redis-{self.starts}", argv, dict(os.environ), self.directory / "redis.log"
        )
        wait_for(self.ping, timeout=10, what=f"redis-server on port {self.port}")

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()
            self.process = None

    def kill(self) -> None:
        """SIGKILL, as a crash or the OOM killer would: no shutdown, nothing saved."""
        if self.process is not None:
            self.process.kill_group(signal.SIGKILL)
            self.process.stop()
            self.process = None

    def tail(self, lines: int = 30) -> str:
        path = self.directory / "redis.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


class Drill:
    """A broker, workers and beats around one test; ``close`` ends every one of them."""

    def __init__(self, directory: Path, *, redis_binary: str, settings_dict: dict) -> None:
        self.directory = directory
        self.settings_dict = settings_dict
        self.journal_path = directory / "mail.jsonl"
        self.journal_path.touch()
        self.redis = RedisServer(redis_binary, directory)
        self.processes: list[Process] = []
        # Settings a drill gives the processes it starts from then on.
        self.extra_env: dict[str, str] = {}

    def env(self, name: str, **extra: str) -> dict[str, str]:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("CELERY_", "CC112_", "DJANGO_", "PYTEST_"))
            and key not in ("DATABASE_URL", "DEBUG", "SECRET_KEY", "EMAIL_BACKEND")
        }
        env.update(
            DJANGO_SETTINGS_MODULE="cc112.settings",
            DEBUG="false",
            SECRET_KEY="drill-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz",
            DATABASE_URL=database_url(self.settings_dict, f"cc112-drill-{name}"),
            CELERY_BROKER_URL=self.redis.url,
            CC112_VAR_DIR=str(self.directory / "var"),
            CC112_SLA_SWEEP_SECONDS="1",
            CC112_OUTBOX_SWEEP_SECONDS="5",
            EMAIL_BACKEND="tests.sla.processes.JournalEmailBackend",
            PYTHONUNBUFFERED="1",
            LOG_LEVEL="INFO",
            # Celery's own lines, which the drills read (production's are JSON).
            CC112_LOG_FORMAT="text",
            **{JOURNAL_ENV: str(self.journal_path)},
        )
        env.update(self.extra_env)
        env.update(extra)
        return env

    def _start(self, name: str, argv: list[str]) -> Process:
        process = Process(name, argv, self.env(name), self.directory / f"{name}.log")
        self.processes.append(process)
        return process

    def worker(
        self, name: str, *, wait: bool = True, queues: str = "escalations,celery"
    ) -> Process:
        """A worker of one pool process; by default it consumes the sweep's queue and the
        deliveries' (production runs them apart: README "Running for real")."""
        argv = [str(CELERY), "-A", "cc112", "worker", "--concurrency", "1", "-n", f"{name}@%h"]
        argv += ["-Q", queues]
        argv += ["--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "info"]
        process = self._start(name, argv)
        if wait:
            self.wait_ready(process)
        return process

    def wait_ready(self, *workers: Process) -> None:
        for worker in workers:
            worker.wait_for_log(" ready.", timeout=60)

    def beat(self, name: str, *, wait: bool = True) -> Process:
        schedule = self.directory / f"{name}-schedule"
        argv = [str(CELERY), "-A", "cc112", "beat", "-s", str(schedule), "-l", "info"]
        process = self._start(name, argv)
        if wait:
            self.wait_ticking(process)
        return process

    def wait_ticking(self, *beats: Process) -> None:
        """Until each beat has sent its first sweep (Django's start-up alone takes seconds)."""
        for beat in beats:
            beat.wait_for_log("Sending due task sweep-escalations", timeout=60)

    def start(self, workers: list[str], beats: list[str]) -> list[Process]:
        """Start workers and beats side by side; return them once all are working."""
        started = [self.worker(name, wait=False) for name in workers]
        started += [self.beat(name, wait=False) for name in beats]
        self.wait_ready(*started[: len(workers)])
        self.wait_ticking(*started[len(workers) :])
        return started

    def manage_shell(self, code: str, *, timeout: float = 60) -> subprocess.CompletedProcess:
        """``manage.py shell -c code`` with the production settings of the workers."""
        return subprocess.run(
            [str(BIN / "python"), "manage.py", "shell", "-c", code],
            cwd=ROOT,
            env=self.env("shell"),
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def journal(self) -> list[dict]:
        lines = self.journal_path.read_text().splitlines()
        return [json.loads(line) for line in lines if line.strip()]

    def logs(self) -> str:
        parts = [
            f"===== {p.name} (pid {p.pid}, {p.argv[2:5]}) =====\n{p.tail(120)}"
            for p in self.processes
        ]
        parts.append(f"===== redis =====\n{self.redis.tail()}")
        return "\n".join(parts)

    def close(self) -> None:
        """SIGKILL every process group at once (a warm shutdown takes seconds per worker and
        proves nothing here), reap them, stop the broker."""
        for process in self.processes:
            process.kill_group(signal.SIGKILL)
        for process in self.processes:
            process.stop()
        self.redis.stop()
