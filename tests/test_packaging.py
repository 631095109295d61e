"""Releasable packages: metadata, the README's examples, the built sdist and wheel, a plain install.

The `network` tests build the sdist and wheel (`python -m build`, which fetches setuptools into an
isolated environment) and install the wheel into a fresh virtualenv (which fetches numpy, graphviz and
tqdm): they need the package index. Offline: `python -m pytest -m "not network"`. CI runs them.
"""

from __future__ import annotations

import importlib.resources
import importlib.util
import inspect
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import venv
import zipfile
from pathlib import Path

import pytest

import autograd_core
import nn

from . import readme_examples

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def pyproject() -> dict:
    """pyproject.toml, parsed (tomllib is in the standard library from Python 3.11; tomli before)."""
    toml = pytest.importorskip("tomllib" if sys.version_info >= (3, 11) else "tomli")
    return toml.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_version_is_single_sourced(pyproject: dict) -> None:
    assert re.fullmatch(r"\d+\.\d+\.\d+", autograd_core.__version__)
    assert "version" in pyproject["project"]["dynamic"] and "version" not in pyproject["project"]
    assert pyproject["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "autograd_core.__version__"}


def test_license_is_spdx_mit_with_its_file(pyproject: dict) -> None:
    assert pyproject["project"]["license"] == "MIT"
    assert (ROOT / "LICENSE").read_text(encoding="utf-8").startswith("MIT License")


@pytest.mark.parametrize("package", [autograd_core, nn])
def test_packages_are_typed_and_document_every_public_name(package) -> None:
    assert importlib.resources.files(package).joinpath("py.typed").is_file()
    undocumented = [name for name in package.__all__ if not inspect.getdoc(getattr(package, name))]
    assert undocumented == [], f"public names without a docstring (the API reference shows them empty): {undocumented}"


@pytest.mark.parametrize("package", [autograd_core, nn])
def test_api_reference_has_an_entry_for_every_public_name(package) -> None:
    pytest.importorskip("mkdocs", reason="install the 'docs' extra: pip install -e .[docs]")
    spec = importlib.util.spec_from_file_location("docs_hooks", ROOT / "docs" / "_hooks.py")
    hooks = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hooks)
    entries = re.findall(r"^::: (\S+)$", hooks.api_page(package.__name__), flags=re.MULTILINE)
    assert len(entries) == len(package.__all__)
    for entry, name in zip(entries, package.__all__):
        try:
            target = importlib.import_module(entry)  # a module in __all__, such as nn.diagnostics
        except ImportError:
            module, _, attr = entry.rpartition(".")
            target = getattr(importlib.import_module(module), attr)
        wanted = getattr(package, name)
        assert target is wanted, f"{entry} is a {type(target).__name__}, not the {type(wanted).__name__} {name}"


def test_readme_extras_match_pyproject(pyproject: dict) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    listed = re.findall(r"^\| `(\w+)` \|", readme, flags=re.MULTILINE)
    assert set(pyproject["project"]["optional-dependencies"]) <= set(listed)


def test_readme_examples_run_and_print_what_the_readme_shows(tmp_path: Path, monkeypatch) -> None:
    if shutil.which("dot") is None:
        pytest.skip("Graphviz 'dot' not installed (apt-get install graphviz): the drawing example renders")
    monkeypatch.chdir(tmp_path)  # the examples write out/ and moons.json
    results = readme_examples.run((ROOT / "README.md").read_text(encoding="utf-8"))
    assert len(results) == len(readme_examples.examples((ROOT / "README.md").read_text(encoding="utf-8"))) >= 5
    for r in results:
        assert r["error"] is None, f"README.md:{r['line']} raised:\n{r['error']}"
        assert r["printed"] == r["expected"], f"README.md:{r['line']} printed something else"
        assert r["progress_shown"] == r["progress_expected"], f"README.md:{r['line']}: fit's progress bar"


def test_readme_example_parser() -> None:
    text = (
        "```python\nprint(1)\n```\nprints\n\n```\n1\n```\n```bash\nls\n```\n```python\nx = 2\n```\ntext\n```\nno\n```\n"
    )
    found = readme_examples.examples(text)
    assert [(e.line, e.code, e.expected) for e in found] == [(1, "print(1)\n", "1\n"), (12, "x = 2\n", None)]


# ---- the built distributions -------------------------------------------------------------------------


def run(cmd: list[str | Path], cwd: Path, timeout: float = 300) -> str:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}  # setuptools warns about it
    result = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"{' '.join(map(str, cmd))} failed:\n{output[-4000:]}"
    return output


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    """`python -m build` (the sdist, then the wheel built from it) into a temporary folder."""
    pytest.importorskip("build", reason="install the 'dev' extra: pip install -e .[dev]")
    out = tmp_path_factory.mktemp("dist")
    log = run([sys.executable, "-m", "build", "--outdir", out, ROOT], cwd=out)
    warnings = [line for line in log.splitlines() if re.search(r"warn", line, flags=re.IGNORECASE)]
    assert warnings == [], "python -m build warned:\n" + "\n".join(warnings)
    return out


def only(folder: Path, pattern: str) -> Path:
    (path,) = folder.glob(pattern)
    return path


@pytest.mark.network
def test_twine_check_passes(dist: Path) -> None:
    pytest.importorskip("twine", reason="install the 'dev' extra: pip install -e .[dev]")
    log = run([sys.executable, "-m", "twine", "check", "--strict", *dist.iterdir()], cwd=dist)
    assert log.count("PASSED") == 2


@pytest.mark.network
def test_sdist_holds_what_its_tests_need(dist: Path) -> None:
    sdist = only(dist, f"autograd_core-{autograd_core.__version__}.tar.gz")
    with tarfile.open(sdist) as tar:
        names = {name.split("/", 1)[1] for name in tar.getnames() if "/" in name}
    tests = {p.relative_to(ROOT).as_posix() for p in (ROOT / "tests").glob("*.py")}
    notebooks = {p.relative_to(ROOT).as_posix() for p in (ROOT / "notebooks").rglob("*") if p.is_file()}
    assert {"tests/__init__.py", "tests/conftest.py", "tests/reference.py"} <= tests
    assert tests | notebooks | {"LICENSE", "README.md", "CHANGELOG.md", "pyproject.toml"} <= names
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]


@pytest.mark.network
def test_wheel_metadata_and_contents(dist: Path, pyproject: dict) -> None:
    wheel = only(dist, f"autograd_core-{autograd_core.__version__}-py3-none-any.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        info = f"autograd_core-{autograd_core.__version__}.dist-info"
        metadata = zf.read(f"{info}/METADATA").decode()
    assert {"autograd_core/py.typed", "nn/py.typed", f"{info}/licenses/LICENSE"} <= names
    assert not [n for n in names if n.startswith("tests/")]
    assert "License-Expression: MIT" in metadata and f"Version: {autograd_core.__version__}" in metadata
    for requirement in pyproject["project"]["dependencies"]:
        assert f"Requires-Dist: {requirement}" in metadata


@pytest.mark.network
def test_plain_install_in_a_fresh_venv(dist: Path, tmp_path: Path) -> None:
    """`pip install` the wheel alone (no extras) into a new venv: both packages import, the demo writes
    the graph and the backprop page and says how to get loss.png, the README's examples run as shown."""
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    wheel = only(dist, "*.whl")
    run([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", wheel], cwd=tmp_path)
    work = tmp_path / "work"  # not the repository, so the installed packages are the ones imported
    work.mkdir()
    probe = "import autograd_core as a, nn, json; print(json.dumps([a.__version__, a.__file__, nn.__file__]))"
    version, *files = json.loads(run([python, "-c", probe], cwd=work).strip().splitlines()[-1])
    assert version == autograd_core.__version__
    assert all(Path(f).is_relative_to(env_dir) for f in files)
    if shutil.which("dot") is None:
        pytest.skip("Graphviz 'dot' not installed (apt-get install graphviz): the demo and README draw graphs")
    log = run([python, "-m", "nn.demo", "--steps", "5", "--out", "d"], cwd=work)
    assert (work / "d" / "graph.svg").stat().st_size > 1000 and (work / "d" / "backprop.html").stat().st_size > 1000
    has_matplotlib = subprocess.run([python, "-c", "import matplotlib"], capture_output=True).returncode == 0
    assert has_matplotlib or "skipped: loss.png needs matplotlib (pip install" in log
    results = json.loads(run([python, ROOT / "tests" / "readme_examples.py", ROOT / "README.md"], cwd=work))
    assert [r["line"] for r in results if not r["ok"]] == []
    assert all(r["progress_shown"] == r["progress_expected"] for r in results)  # tqdm is a core dependency
