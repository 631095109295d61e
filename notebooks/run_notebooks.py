"""Execute the teaching notebooks top to bottom in a fresh kernel and save them with their outputs.

    python notebooks/run_notebooks.py                  # every notebooks/[0-9][0-9]_*.ipynb, in place
    python notebooks/run_notebooks.py 02_backprop_by_hand.ipynb

This is what `make notebooks` runs. `tests/test_notebooks.py` uses `execute()` from here to run the
same notebooks into a temporary copy, so CI fails when one breaks.

The kernel is always the Python running this script (`sys.executable -m ipykernel_launcher`), not
whatever kernelspec named "python3" happens to come first on the Jupyter path (a user-level one can
point at another interpreter that lacks this package). So run it with the venv's Python, where
`pip install -e .[notebooks]` put autograd_core, nn, ipykernel, nbclient and matplotlib. The kernel
inherits this process's environment, and its working directory is the notebooks folder.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import nbformat
from jupyter_client.kernelspec import KernelSpec
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

NOTEBOOK_DIR = Path(__file__).resolve().parent
PATTERN = "[0-9][0-9]_*.ipynb"
CELL_TIMEOUT = 300  # seconds per cell; each notebook as a whole is meant to run in well under 60 s
SIZE_LIMIT = 1_000_000  # bytes: notebooks are committed with outputs and must stay readable on the web


def notebook_paths(directory: Path = NOTEBOOK_DIR) -> list[Path]:
    """The numbered teaching notebooks, in order."""
    return sorted(directory.glob(PATTERN))


THIS_PYTHON = KernelSpec(
    argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
    display_name=f"Python {sys.version_info[0]} (ipykernel)",
    language="python",
    name="python3",
)


class ThisPythonKernelManager(KernelManager):
    """A KernelManager whose kernel is an IPython kernel of the interpreter running this code, whatever
    kernelspecs are installed (none need be)."""

    @property
    def kernel_spec(self) -> KernelSpec:
        return THIS_PYTHON


def execute(path: Path, cwd: Path | None = None, timeout: int = CELL_TIMEOUT) -> nbformat.NotebookNode:
    """Run the notebook at `path` in a fresh kernel and return it with its outputs (the file is not written).

    Raises nbclient's `CellExecutionError` (whose message shows the failing cell and its traceback) when a
    cell fails. `cwd` is the kernel's working directory, by default the notebook's own folder.
    """
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        kernel_manager_class=ThisPythonKernelManager,
        resources={"metadata": {"path": str(cwd or path.parent)}},
        record_timing=False,  # no timestamps in the committed files, so re-running gives small diffs
    )
    client.execute()
    return nb


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", help=f"notebooks to run (default: {PATTERN} in {NOTEBOOK_DIR})")
    args = parser.parse_args(argv)
    paths = [Path(p) if Path(p).exists() else NOTEBOOK_DIR / p for p in args.notebooks] or notebook_paths()
    failed = 0
    for path in paths:
        start = time.perf_counter()
        try:
            nb = execute(path)
        except Exception as exc:  # report every notebook, then fail
            print(f"FAIL {path.name}: {exc}", file=sys.stderr)
            failed += 1
            continue
        nbformat.write(nb, path)
        size = path.stat().st_size
        note = "  <-- over 1 MB, shrink the figures" if size > SIZE_LIMIT else ""
        print(f"ok   {path.name}: {time.perf_counter() - start:.1f} s, {size / 1000:.0f} kB{note}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
