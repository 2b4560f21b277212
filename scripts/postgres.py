"""A throwaway PostgreSQL cluster: `initdb` and `postgres` (Debian's `postgresql` package) in a
temporary folder, listening on a free port of 127.0.0.1 and on a socket inside that folder,
with no fsync. stop() removes it; the server also stops when the process that started it
dies. No service, no Docker. As root the server runs as the `postgres` user (which Debian's
package creates), or `nobody`. Standard library only.

The tests start one with TEST_DATABASE=postgres (tests/_env.py). By hand:

    .venv/bin/python scripts/postgres.py    # prints a DATABASE_URL; Ctrl-C removes it all
"""

import ctypes
import glob
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts.processes import free_port

SUPERUSER = "postgres"
SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "fsync": "off",  # a crash loses a throwaway cluster, nothing else
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "200",  # several stacks of daphne, Celery and processor at once
}


def bin_dir() -> Path | None:
    """Where initdb is: on PATH, or the newest /usr/lib/postgresql/*/bin."""
    if found := shutil.which("initdb"):
        return Path(found).resolve().parent
    versions = glob.glob("/usr/lib/postgresql/*/bin/initdb")
    versions.sort(key=lambda path: int(Path(path).parent.parent.name))
    return Path(versions[-1]).parent if versions else None


class Cluster:
    def __init__(self):
        self.bin = bin_dir()
        if self.bin is None:
            raise RuntimeError("PostgreSQL is not installed: apt-get install postgresql")
        self.folder: Path | None = None
        self.port = 0
        self.proc: subprocess.Popen | None = None
        self.user: dict = {}  # subprocess options to run the server as a non-root user

    def start(self) -> "Cluster":
        self.folder = Path(tempfile.mkdtemp(prefix="thulium-pg-"))
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            account = _account()
            os.chown(self.folder, account.pw_uid, account.pw_gid)
            self.user = {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}
        data = self.folder / "data"
        self._run(
            "initdb", "-D", data, "-U", SUPERUSER, "--auth=trust", "--no-sync",
            "--encoding=UTF8", "--locale=C.UTF-8",
        )  # fmt: skip
        self.port = free_port()
        settings = {
            **SETTINGS,
            "port": str(self.port),
            "unix_socket_directories": f"'{self.folder}'",
        }
        with open(data / "postgresql.conf", "a") as conf:
            conf.writelines(f"{name} = {value}\n" for name, value in settings.items())
        with open(self.folder / "log", "w") as log:
            self.proc = subprocess.Popen(
                [self.bin / "postgres", "-D", data],
                cwd=self.folder,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C reaches only us; we stop it
                preexec_fn=_stop_with_parent,
                **self.user,
            )
        self._wait_ready(data / "postmaster.pid")
        return self

    def _wait_ready(self, pid_file: Path, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.proc.poll() is None:
            if pid_file.exists() and "ready" in pid_file.read_text(errors="replace"):
                return
            time.sleep(0.05)
        log = (self.folder / "log").read_text(errors="replace")[-2000:]
        self.stop()
        raise RuntimeError(f"PostgreSQL did not start:\n{log}")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """A new, empty database; its URL."""
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", SUPERUSER, name)
        return self.url(name)

    def stop(self) -> None:
        """Stop the server (fast shutdown: clients are disconnected) and remove its folder."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.proc = None
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None

    def _run(self, program: str, *args) -> None:
        done = subprocess.run(
            [self.bin / program, *map(str, args)],
            cwd=self.folder,  # one the server's user may enter
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            start_new_session=True,  # Ctrl-C stops it through stop(), not mid-way
            **self.user,
        )
        if done.returncode:
            raise RuntimeError(f"{program} failed ({done.returncode}): {done.stderr.strip()}")


def _stop_with_parent() -> None:
    """In the server: a fast shutdown if whoever started it dies without stopping it (Linux)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGINT)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _account() -> pwd.struct_passwd:
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise RuntimeError("Running as root and there is no 'postgres' or 'nobody' user to run as")


def main() -> None:
    cluster = Cluster().start()
    try:
        url = cluster.create_database("thulium")
        print(f"PostgreSQL is running in {cluster.folder}\n\n  DATABASE_URL={url}\n")
        print("Ctrl-C stops it and removes everything in it.", flush=True)
        signal.sigwait({signal.SIGINT, signal.SIGTERM})
    finally:
        cluster.stop()


if __name__ == "__main__":
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    main()
