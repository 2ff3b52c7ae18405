"""examples/quickstart.ipynb runs top to bottom in a fresh kernel of this interpreter (so it cannot rot)."""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).resolve().parents[2] / "examples" / "quickstart.ipynb"


class ThisInterpreter(KernelSpecManager):
    """A kernel spec held in memory: ipykernel under the running interpreter, nothing registered on disk."""

    def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
        argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
        return KernelSpec(argv=argv, display_name="clv", language="python", resource_dir="")


def test_quickstart_notebook_runs_and_shows_results(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # IPython and Jupyter write profiles and connection files: keep them in the test's folder.
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "runtime"))
    monkeypatch.setenv("JUPYTER_PLATFORM_DIRS", "1")
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    manager = KernelManager(kernel_name="python3", kernel_spec_manager=ThisInterpreter())
    client = NotebookClient(notebook, km=manager, timeout=300, resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    outputs = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]
    assert not [output for output in outputs if output.output_type == "error"]
    text = "".join(output.get("text", "") for output in outputs if output.output_type == "stream")
    assert "69,659 of 69,659 rows kept" in text and "lowest BIC:" in text
    assert "12-month value of 23,570 customers" in text and "80 % interval" in text
    html = [o["data"]["text/html"] for o in outputs if "text/html" in o.get("data", {})]
    assert sum("vegaEmbed" in page for page in html) == 4  # Altair charts
    assert any("ensemble" in page and "spearman" in page for page in html)  # the backtest table
