"""Reliability: concurrent writer processes lose nothing and never see "database is locked"; a writer killed with
SIGKILL in the middle of its writes leaves an intact database holding every row it had committed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from clv.storage import open_database
from clv.storage.schema import feedback

WRITERS = 8
ROWS_PER_WRITER = 500

WRITER = """
import os, sys, time
from pathlib import Path
from clv.storage import open_database
from clv.storage.feedback import submit_feedback, validate_feedback

url, writer, rows, go = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), Path(sys.argv[4])
database = open_database(url)
print("ready", flush=True)
while not go.exists():
    time.sleep(0.01)
for row in range(rows):
    entry = validate_feedback(f"writer {writer} row {row}", 1 + row % 5, "General", page=f"w{writer}")
    feedback_id = submit_feedback(database, entry)
    print(feedback_id, flush=True)
"""


def _writer(url: str, writer: int, rows: int, go: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, url, str(writer), str(rows), str(go)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.slow
def test_eight_processes_write_500_rows_each_and_every_row_is_there(
    database_url: str, tmp_path: Path
) -> None:
    go = tmp_path / "go"
    writers = [_writer(database_url, w, ROWS_PER_WRITER, go) for w in range(WRITERS)]
    for writer in writers:  # every writer has opened (and raced to migrate) the database before any writes
        assert writer.stdout is not None and writer.stdout.readline().strip() == "ready"
    go.touch()
    outputs = [writer.communicate(timeout=600) for writer in writers]
    for writer, (_, errors) in zip(writers, outputs, strict=True):
        assert writer.returncode == 0, errors
        assert "locked" not in errors.lower()
    database = open_database(database_url)
    messages = database.read(lambda c: set(c.execute(select(feedback.c.message)).scalars()), "test")
    expected = {f"writer {w} row {r}" for w in range(WRITERS) for r in range(ROWS_PER_WRITER)}
    assert messages == expected
    count = database.read(
        lambda c: c.execute(select(func.count()).select_from(feedback)).scalar_one(), "test"
    )
    assert count == WRITERS * ROWS_PER_WRITER
    reported = {int(line) for out, _ in outputs for line in out.split()}
    assert len(reported) == WRITERS * ROWS_PER_WRITER
    database.close()


def test_a_writer_killed_mid_writes_leaves_an_intact_database_with_every_committed_row(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'clv.sqlite3'}"
    go = tmp_path / "go"
    go.touch()
    writer = _writer(url, 0, 100_000, go)
    assert writer.stdout is not None and writer.stdout.readline().strip() == "ready"
    committed = []
    deadline = time.monotonic() + 120
    while len(committed) < 300 and time.monotonic() < deadline:
        committed.append(int(writer.stdout.readline()))
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait(timeout=30)
    assert writer.returncode == -signal.SIGKILL
    database = open_database(url)
    assert database.read(lambda c: c.exec_driver_sql("PRAGMA integrity_check").scalar_one(), "test") == "ok"
    stored = database.read(lambda c: set(c.execute(select(feedback.c.id)).scalars()), "test")
    assert len(committed) == 300
    assert set(committed) <= stored
    assert len(stored) >= len(committed)
    database.close()
