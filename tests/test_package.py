"""The package as a user gets it: its version, its type marker, and the built wheel installed in a fresh venv.

The wheel test builds the sdist and the wheel from a copy of the sources (``python -m build``), installs the wheel
with uv into a new virtual environment that sees nothing of this one (no system site packages, no PYTHONPATH),
with ``requirements.lock`` as constraints, and then, from a folder outside the source tree, runs ``clv --help``,
``clv predict`` on the bundled CDNOW master data and the web app up to its health check.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import time
import tomllib
import urllib.request
import zipfile
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import pytest

import clv

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
DIST_NAME = "clv-platform"
# What the wheel must hold besides the Python modules: the data, the database migrations, the in-app user guide.
SHIPPED = [
    "clv/py.typed",
    "clv/app/streamlit.toml",
    "clv/app/entry.py",
    "clv/datasets/files/CDNOW_master.txt.gz",
    "clv/datasets/files/CDNOW_sample.txt.gz",
    "clv/datasets/files/cdnow_customers_summary_with_transactions.csv.gz",
    "clv/storage/migrations/env.py",
    "clv/storage/migrations/versions/0001_initial.py",
    "clv/storage/migrations/versions/0002_model_runs.py",
    "clv/docs/user_guide.md",
]


def test_version_is_pyprojects() -> None:
    from typer.testing import CliRunner

    from clv.cli import app

    assert clv.__version__ == PYPROJECT["project"]["version"]
    shown = CliRunner().invoke(app, ["--version"])
    assert shown.exit_code == 0 and shown.stdout.strip() == f"clv {PYPROJECT['project']['version']}"


def test_py_typed_ships() -> None:
    assert resources.files("clv").joinpath("py.typed").is_file()
    assert "py.typed" in PYPROJECT["tool"]["setuptools"]["package-data"]["clv"]


def test_extras() -> None:
    extras = PYPROJECT["project"]["optional-dependencies"]
    assert {"app", "report", "postgres", "spark", "docs", "all"} <= set(extras)
    core = " ".join(PYPROJECT["project"]["dependencies"])
    for optional in ("streamlit", "python-docx", "pyspark", "psycopg", "mkdocs"):
        assert optional not in core


def _uv() -> str:
    found = Path(sys.executable).with_name("uv")
    if found.is_file():
        return str(found)
    on_path = shutil.which("uv")
    if on_path is None:
        if os.environ.get("CI"):
            pytest.fail("uv is needed to build and install the wheel (make installs it into .venv)")
        pytest.skip("uv is not installed")
    return on_path


def _clean_env(data_dir: Path, bin_dir: Path) -> dict[str, str]:
    """This process's environment without anything that would let the fresh venv see this one."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    env["CLV_DATA_DIR"] = str(data_dir)
    env["UV_PYTHON_DOWNLOADS"] = "never"
    return env


def _run(command: list[str], cwd: Path, env: dict[str, str], timeout: float = 180) -> str:
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{command} exited {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done.stdout


class NotServing(AssertionError):
    """The app did not answer its health check."""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _healthy(port: int, process: subprocess.Popen[bytes], seconds: float = 90) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as answer:
                if answer.status == 200 and answer.read().strip() == b"ok":
                    return True
        except OSError:
            pass
        time.sleep(0.5)
    return False


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _serves(command: list[str], port: int, cwd: Path, env: dict[str, str]) -> bool:
    """Start the app with ``command`` (its own process group) and say whether it answers its health check."""
    log = cwd / f"app-{port}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        return _healthy(port, process)
    finally:
        _stop(process)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    """The sdist and the wheel, built from a copy of the files a build needs (the source tree stays untouched)."""
    uv = _uv()
    work = tmp_path_factory.mktemp("build")
    source = work / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, source / name)
    shutil.copytree(ROOT / "src", source / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PATH"] = f"{Path(uv).parent}{os.pathsep}{env.get('PATH', '')}"
    env["UV_PYTHON_DOWNLOADS"] = "never"
    _run(
        [sys.executable, "-m", "build", "--installer", "uv", "-o", str(work / "dist"), str(source)], work, env
    )
    (wheel,) = (work / "dist").glob("*.whl")
    (sdist,) = (work / "dist").glob("*.tar.gz")
    yield sdist, wheel


@pytest.mark.slow
def test_wheel_and_sdist_hold_the_data_migrations_and_guide(built: tuple[Path, Path]) -> None:
    sdist, wheel = built
    version = PYPROJECT["project"]["version"]
    assert wheel.name == f"clv_platform-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    assert [name for name in SHIPPED if name not in names] == []
    assert f"clv_platform-{version}.dist-info/licenses/LICENSE" in names
    assert not any(name.startswith("tests/") for name in names)
    with tarfile.open(sdist) as archive:
        members = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    assert [name for name in SHIPPED if f"src/{name}" not in members] == []
    assert {"LICENSE", "README.md", "pyproject.toml"} <= members


@pytest.mark.slow
def test_wheel_installs_and_runs_outside_the_source_tree(built: tuple[Path, Path], tmp_path: Path) -> None:
    _, wheel = built
    uv = _uv()
    venv = tmp_path / "venv"
    bin_dir = venv / "bin"
    work = tmp_path / "work"  # outside the source tree: nothing of the repository beside it
    work.mkdir()
    env = _clean_env(tmp_path / "data", bin_dir)
    lock = str(ROOT / "requirements.lock")
    _run([uv, "venv", "-q", "-p", sys.executable, str(venv)], work, env)
    assert "include-system-site-packages = false" in (venv / "pyvenv.cfg").read_text()
    python = str(bin_dir / "python")

    # The core install: the library and its storage, without the app's and the report's packages.
    _run([uv, "pip", "install", "-q", "-p", python, "-c", lock, str(wheel)], work, env)
    probe = (
        "import importlib.util, clv, clv.pipeline, clv.storage, clv.pipeline.batch;"
        "assert importlib.util.find_spec('streamlit') is None and importlib.util.find_spec('docx') is None;"
        "print(clv.__file__, clv.__version__)"
    )
    where, version = _run([python, "-c", probe], work, env).split()
    assert where.startswith(str(venv)) and version == PYPROJECT["project"]["version"]

    # The command line on the core alone (the app's and the report's packages are imported by their commands).
    clv_command = str(bin_dir / "clv")
    assert "predict" in _run([clv_command, "--help"], work, env)
    _run(
        [
            python,
            "-c",
            "from pathlib import Path; from clv.datasets import write_cdnow_file; write_cdnow_file('master', Path('.'))",
        ],
        work,
        env,
    )
    summary = _run(
        [clv_command, "predict", "CDNOW_master.txt", "-o", "predictions.csv", "--no-backtest", "--json"],
        work,
        env,
    )
    assert '"customers": 23502' in summary
    assert len((work / "predictions.csv").read_text(encoding="utf-8-sig").splitlines()) == 23503


@pytest.mark.slow
def test_clv_app_from_the_wheel(built: tuple[Path, Path], tmp_path: Path) -> None:
    _, wheel = built
    uv = _uv()
    venv = tmp_path / "venv"
    work = tmp_path / "work"
    work.mkdir()
    env = _clean_env(tmp_path / "data", venv / "bin")
    env.update(STREAMLIT_SERVER_HEADLESS="true", STREAMLIT_SERVER_ADDRESS="127.0.0.1")
    env["STREAMLIT_BROWSER_GATHER_USAGE_STATS"] = "false"
    lock = str(ROOT / "requirements.lock")
    _run([uv, "venv", "-q", "-p", sys.executable, str(venv)], work, env)
    _run(
        [uv, "pip", "install", "-q", "-p", str(venv / "bin" / "python"), "-c", lock, f"{wheel}[app,report]"],
        work,
        env,
    )
    port = _free_port()
    if not _serves([str(venv / "bin" / "clv"), "app", "--port", str(port)], port, work, env):
        raise NotServing((work / f"app-{port}.log").read_text())
