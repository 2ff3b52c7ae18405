"""Concurrent feedback writers against one database: start-up time, write rate, and what the writer lock buys.

    python bench/storage_writers.py [--writers 8] [--rows 500] [--url postgresql://...] [--no-writer-lock]

Each writer is a separate process that opens the database (racing to migrate it), waits for the start signal, then
commits one feedback row per transaction, as the app does. Prints figures; asserts nothing about speed.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WRITER = """
import sys, time
from pathlib import Path
from clv.storage import open_database
from clv.storage.feedback import submit_feedback, validate_feedback
url, writer, rows, go, lock = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), Path(sys.argv[4]), sys.argv[5]
database = open_database(url)
if lock == "off":
    database.writer_lock = None
print("ready", flush=True)
while not go.exists():
    time.sleep(0.005)
started = time.perf_counter()
for row in range(rows):
    submit_feedback(database, validate_feedback(f"writer {writer} row {row}", 3, "General"))
print(time.perf_counter() - started, flush=True)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--rows", type=int, default=500)
    parser.add_argument("--url", default=None, help="default: a new SQLite file")
    parser.add_argument(
        "--no-writer-lock", action="store_true", help="SQLite: rely on the busy timeout alone"
    )
    options = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="clv-bench-"))
    url = options.url or f"sqlite:///{folder / 'clv.sqlite3'}"
    go = folder / "go"
    lock = "off" if options.no_writer_lock else "on"
    started = time.perf_counter()
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, url, str(w), str(options.rows), str(go), lock],
            stdout=subprocess.PIPE,
            text=True,
        )
        for w in range(options.writers)
    ]
    for writer in writers:
        assert writer.stdout is not None and writer.stdout.readline().strip() == "ready"
    ready = time.perf_counter()
    go.touch()
    outputs = [writer.communicate()[0] for writer in writers]
    finished = time.perf_counter()
    rows = options.writers * options.rows
    print(f"database: {url.split('@')[-1]}  writer lock: {lock if url.startswith('sqlite') else 'n/a'}")
    print(f"{options.writers} processes started and migrated in {ready - started:.1f} s")
    print(f"{rows:,} rows committed in {finished - ready:.1f} s: {rows / (finished - ready):,.0f} rows/s")
    print("per writer (s): " + ", ".join(f"{float(o.split()[-1]):.1f}" for o in outputs))


if __name__ == "__main__":
    main()
