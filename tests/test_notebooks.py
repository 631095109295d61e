"""Every teaching notebook runs top to bottom in a fresh kernel (the same runner as `make notebooks`).

Each notebook is executed from a temporary copy, so the committed file and its outputs are never
touched; a failing cell fails the test with that cell's source and traceback. New notebooks matching
`notebooks/[0-9][0-9]_*.ipynb` are picked up without changing this file. The committed files are also
checked: at least nine, numbered without gaps, under 1 MB, every code cell run, no error output, and
every cell that draws a figure sets a title and both axis labels.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
from pathlib import Path

import pytest

pytest.importorskip("nbclient", reason="install the 'notebooks' extra: pip install -e .[notebooks]")
pytest.importorskip("ipykernel", reason="install the 'notebooks' extra: pip install -e .[notebooks]")
pytest.importorskip("matplotlib", reason="install the 'notebooks' extra: pip install -e .[notebooks]")

NOTEBOOK_DIR = Path(__file__).resolve().parent.parent / "notebooks"
ANSI_COLOUR = re.compile(r"\x1b\[[0-9;]*m")  # IPython colours its tracebacks; pytest shows plain text


def _load_runner():
    spec = importlib.util.spec_from_file_location("run_notebooks", NOTEBOOK_DIR / "run_notebooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


runner = _load_runner()
NOTEBOOKS = runner.notebook_paths(NOTEBOOK_DIR)


MIN_NOTEBOOKS = 9  # 00_micrograd_from_scratch … 08_curvature_and_forward_mode
PLOT_CALLS = ("set_title", "set_xlabel", "set_ylabel")


def test_notebooks_are_found() -> None:
    assert len(NOTEBOOKS) >= MIN_NOTEBOOKS, (
        f"expected at least {MIN_NOTEBOOKS} notebooks matching {runner.PATTERN} in {NOTEBOOK_DIR}, "
        f"found {[p.name for p in NOTEBOOKS]}"
    )
    numbers = [int(p.name[:2]) for p in NOTEBOOKS]
    assert numbers == list(range(len(numbers))), f"notebook numbers should run 00, 01, … without gaps: {numbers}"


def test_a_broken_notebook_fails(tmp_path: Path) -> None:
    """The runner the tests use reports a failing cell (so a broken notebook cannot pass unnoticed)."""
    import nbformat
    from nbclient.exceptions import CellExecutionError

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("x = 1"), nbformat.v4.new_code_cell("raise ValueError('broken on purpose')")]
    path = tmp_path / "99_broken.ipynb"
    nbformat.write(nb, path)
    with pytest.raises(CellExecutionError, match="broken on purpose"):
        runner.execute(path, cwd=tmp_path)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs(path: Path, tmp_path: Path) -> None:
    from nbclient.exceptions import CellExecutionError

    copy = tmp_path / path.name
    shutil.copy(path, copy)
    failure = None
    try:
        runner.execute(copy, cwd=tmp_path)
    except CellExecutionError as exc:  # its message holds the failing cell's source and traceback
        failure = ANSI_COLOUR.sub("", str(exc))
    if failure is not None:  # outside the except block, so pytest does not print the chained exception too
        pytest.fail(f"{path.name} failed:\n{failure}", pytrace=False)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_is_committed_small_with_outputs(path: Path) -> None:
    import nbformat

    size = path.stat().st_size
    assert size < runner.SIZE_LIMIT, f"{path.name} is {size / 1e6:.2f} MB; keep committed notebooks under 1 MB"
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]
    assert all(c.get("execution_count") for c in code), (
        f"{path.name} has code cells that were never run; regenerate it with `make notebooks`"
    )
    errors = [i for i, c in enumerate(nb.cells) for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors, f"{path.name}: cells {errors} were committed with an error output"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_every_figure_has_a_title_and_axis_labels(path: Path) -> None:
    """A cell that draws a matplotlib figure sets a title and both axis labels (a cheap check of the source)."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    missing = []
    for i, cell in enumerate(nb.cells):
        draws = any("image/png" in o.get("data", {}) for o in cell.get("outputs", []))
        if cell.cell_type == "code" and draws:
            absent = [call for call in PLOT_CALLS if call not in cell.source]
            if absent:
                missing.append(f"cell {i}: no {', '.join(absent)}")
    assert not missing, f"{path.name}: figures without a title or axis labels: {missing}"
