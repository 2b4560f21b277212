"""A throwaway PostgreSQL cluster: `initdb` and `postgres` (Debian's `postgresql` package) in a
temporary folder, listening on a free port of 127.0.0.1 and on a socket inside that folder,
with no fsync. stop() removes it; the server also stops when the process that started it
dies. No service, no Docker. As root the server runs as the `postgres` user (which Debian's
package creates), or `nobody`. Standard library only.

`Cluster(folder)` keeps its cluster in that folder instead (fsync on, not removed by stop(),
started again as it was on a later run): `make cluster` (scripts/cluster.py) keeps one in
var/cluster/postgres.

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
    "max_connections": "200",  # several stacks of daphne, Celery and processor at once
}
THROWAWAY = {
    "fsync": "off",  # a crash loses a throwaway cluster, nothing else
    "synchronous_commit": "off",
    "full_page_writes": "off",
}


def bin_dir() -> Path | None:
    """Where initdb is: on PATH, or the newest /usr/lib/postgresql/*/bin."""
    if found := shutil.which("initdb"):
        return Path(found).resolve().parent
    versions = glob.glob("/usr/lib/postgresql/*/bin/initdb")
    versions.sort(key=lambda path: int(Path(path).parent.parent.name))
    return Path(versions[-1]).parent if versions else None


class Cluster:
    def __init__(self, folder: Path | None = None):
        self.bin = bin_dir()
        if self.bin is None:
            raise RuntimeError("PostgreSQL is not installed: apt-get install postgresql")
        self.kept = folder  # a cluster kept in this folder between runs; else a temporary one
        self.folder: Path | None = None
        self.port = 0
        self.proc: subprocess.Popen | None = None
        self.user: dict = {}  # subprocess options to run the server as a non-root user

    def start(self) -> "Cluster":
        if self.kept:
            self.folder = Path(self.kept).resolve()
            self.folder.mkdir(parents=True, exist_ok=True)
        else:
            self.folder = Path(tempfile.mkdtemp(prefix="thulium-pg-"))
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            account = _account()
            os.chown(self.folder, account.pw_uid, account.pw_gid)
            self.user = {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}
        data = self.folder / "data"
        if not (data / "PG_VERSION").exists():
            self._run(
                "initdb", "-D", data, "-U", SUPERUSER, "--auth=trust", "--no-sync",
                "--encoding=UTF8", "--locale=C.UTF-8",
            )  # fmt: skip
            settings = SETTINGS if self.kept else {**SETTINGS, **THROWAWAY}
            with open(data / "postgresql.conf", "a") as conf:
                conf.writelines(f"{name} = {value}\n" for name, value in settings.items())
        self.port = free_port()
        with open(self.folder / "log", "a" if self.kept else "w") as log:
            self.proc = subprocess.Popen(
                [self.bin / "postgres", "-D", data, "-p", str(self.port), "-k", self.folder],
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
            lines = pid_file.read_text(errors="replace").split() if pid_file.exists() else []
            if lines[:1] == [str(self.proc.pid)] and "ready" in lines:  # not a stale file
                return
            time.sleep(0.05)
        log = (self.folder / "log").read_text(errors="replace")[-2000:]
        self.stop()
        raise RuntimeError(f"PostgreSQL did not start:\n{log}")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str, exists_ok: bool = False) -> str:
        """A new, empty database; its URL. One that exists is kept as it is when `exists_ok`."""
        try:
            self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", SUPERUSER, name)
        except RuntimeError as exc:
            if not (exists_ok and "already exists" in str(exc)):
                raise
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
        if self.folder is not None and not self.kept:
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
