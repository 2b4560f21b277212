"""Run every bench/bench_*.py in turn (`make bench`), each in its own process.

    .venv/bin/python bench/run_all.py [-k NAME]   # -k: only scripts whose name contains NAME

Each script prints its report and writes bench/results/<name>.json. A script that fails does
not stop the others; the exit code is non-zero if any failed. Each gets at most 15 minutes.
"""

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TIMEOUT = 15 * 60


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("-k", default="", help="only scripts whose file name contains this")
    args = parser.parse_args()
    scripts = sorted(p for p in HERE.glob("bench_*.py") if args.k in p.name)
    failed = []
    for script in scripts:
        print(f"=== {script.name}", flush=True)
        started = time.monotonic()
        # A session of its own: on timeout the script and everything it started is stopped.
        proc = subprocess.Popen([sys.executable, str(script)], cwd=ROOT, start_new_session=True)
        try:
            code = proc.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            import os
            import signal

            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            code = "timeout"
        took = time.monotonic() - started
        print(
            f"=== {script.name}: {'ok' if code == 0 else f'FAILED ({code})'} in {took:.0f} s\n",
            flush=True,
        )
        if code != 0:
            failed.append(script.name)
    if failed:
        print("Failed: " + ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
