"""`python -m nn.demo`: the command line (name, help, argument checks) and what it writes on a plain install."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from nn.demo import main

needs_dot = pytest.mark.skipif(
    shutil.which("dot") is None, reason="Graphviz 'dot' not installed (apt-get install graphviz)"
)


def test_help_names_the_command_and_the_out_folder(capsys) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0
    text = capsys.readouterr().out
    assert text.startswith("usage: python -m nn.demo ")
    assert "DIR/graph.svg" in text and "--out DIR" in text and "in out/" not in text


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--steps", "-5"], "must be at least 1, got -5"),
        (["--steps", "0"], "must be at least 1, got 0"),
        (["--steps", "2.5"], "expected a whole number, got '2.5'"),
        (["--bogus"], "unrecognized arguments: --bogus"),
    ],
)
def test_bad_arguments_are_rejected_before_training(argv: list[str], message: str, capsys) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    captured = capsys.readouterr()
    assert message in captured.err and "training" not in captured.out


def test_out_must_be_a_folder(tmp_path: Path, capsys) -> None:
    file = tmp_path / "taken"
    file.write_text("")
    with pytest.raises(SystemExit):
        main(["--steps", "1", "--out", str(file)])
    assert "is a file" in capsys.readouterr().err


@needs_dot
def test_writes_the_three_pictures(tmp_path: Path, capsys) -> None:
    pytest.importorskip("matplotlib", reason="install the 'notebooks' extra: pip install -e .[notebooks]")
    assert main(["--steps", "2", "--out", str(tmp_path / "d")]) == 0
    out = capsys.readouterr().out
    for name in ("graph.svg", "backprop.html", "loss.png"):
        assert (tmp_path / "d" / name).stat().st_size > 1000
    assert "skipped" not in out and "final accuracy" in out


@needs_dot
def test_without_matplotlib_writes_the_rest_and_says_how(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # `import matplotlib` now fails as if not installed
    assert main(["--steps", "2", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert (tmp_path / "graph.svg").exists() and (tmp_path / "backprop.html").exists()
    assert not (tmp_path / "loss.png").exists()
    (skipped,) = [line for line in out.splitlines() if line.startswith("skipped")]
    assert "loss.png needs matplotlib" in skipped and "pip install" in skipped


def test_without_dot_writes_the_rest_and_says_how(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # no 'dot' anywhere
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    assert main(["--steps", "1", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert sorted(p.name for p in tmp_path.iterdir()) == []
    (skipped,) = [line for line in out.splitlines() if line.startswith("skipped")]
    assert "apt-get install graphviz" in skipped and "matplotlib" in skipped


def test_runs_as_a_module(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "nn.demo", "--steps", "-5"],
        capture_output=True,
        text=True,
        cwd=Path(__file__).parent.parent,
    )
    assert result.returncode == 2 and "usage: python -m nn.demo" in result.stderr
