"""MkDocs hooks: the site's pages come from the repository's own files, so nothing is written twice.

- `index.md` is README.md; CHANGELOG.md and `notebooks/` (its README.md, the numbered notebooks rendered
  by mkdocs-jupyter from their committed outputs, and images/) keep their repository paths, so the
  README's relative links resolve on the site as they do in the repository.
- `api/<package>.md` has one mkdocstrings entry per name in the package's `__all__`: a name added to
  `__all__` later appears in the reference with no change here.
- The navigation lists them in that order; new notebooks are picked up by their `NN_` file names.
"""

from __future__ import annotations

import importlib
import inspect
import json
from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = {
    "autograd_core": "The engine: `Value`, the graph walks, gradient checking, drawing and the compiled batch mode.",
    "nn": "Neurons, layers and MLPs built from `Value`s, with losses, optimizers, schedules, data and training.",
}
NOTEBOOK_GLOB = "[0-9][0-9]_*.ipynb"


def public_names(package: str) -> list[str]:
    """The package's `__all__`, in its own order (the package must declare one)."""
    module = importlib.import_module(package)
    names = getattr(module, "__all__", None)
    if not names:
        raise RuntimeError(f"{package} has no __all__: the API reference is generated from it")
    return list(names)


def reference_path(package: str, name: str) -> str:
    """Where mkdocstrings finds `package.name`: a function or class by the module that defines it (so
    `autograd_core.gradcheck`, both a submodule and the function it re-exports, means the function)."""
    obj = getattr(importlib.import_module(package), name)
    if inspect.ismodule(obj):
        return obj.__name__
    if inspect.isclass(obj) or inspect.isfunction(obj):
        return f"{obj.__module__}.{obj.__qualname__}"
    return f"{package}.{name}"


def api_page(package: str) -> str:
    """The Markdown of one package's reference page: an mkdocstrings block per public name."""
    lines = [f"# `{package}`", "", PACKAGES[package], ""]
    for name in public_names(package):
        lines += [f"::: {reference_path(package, name)}", ""]
    return "\n".join(lines)


def notebooks() -> list[Path]:
    return sorted((ROOT / "notebooks").glob(NOTEBOOK_GLOB))


def notebook_title(path: Path) -> str:
    """The notebook's first `# ` heading as plain text (mkdocs-jupyter drops the code spans from it)."""
    for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
        if cell["cell_type"] == "markdown":
            for line in "".join(cell["source"]).splitlines():
                if line.startswith("# "):
                    return line[2:].replace("`", "").strip()
    return path.stem


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    """The navigation: Home, the notebooks, the API reference, the changelog."""
    config.nav = [
        {"Home": "index.md"},
        {"Notebooks": ["notebooks/README.md"] + [{notebook_title(p): f"notebooks/{p.name}"} for p in notebooks()]},
        {"API reference": [{package: f"api/{package}.md"} for package in PACKAGES]},
        {"Changelog": "CHANGELOG.md"},
    ]
    return config


@event_priority(100)  # before mkdocs-jupyter's own on_files, so it turns the notebooks added here into pages
def on_files(files: Files, config: MkDocsConfig, **kwargs: Any) -> Files:
    """Add the repository's files (README, CHANGELOG, notebooks, images) and the generated API pages."""

    def add(src_uri: str, path: Path) -> None:  # a page under another name than the repository's file
        files.append(File.generated(config, src_uri, abs_src_path=str(path)))

    def mirror(path: Path) -> None:  # a file at the same path as in the repository (notebooks/...)
        src_uri = path.relative_to(ROOT).as_posix()
        files.append(File(src_uri, str(ROOT), config.site_dir, config.use_directory_urls))

    add("index.md", ROOT / "README.md")
    mirror(ROOT / "CHANGELOG.md")
    mirror(ROOT / "notebooks" / "README.md")
    for path in notebooks() + sorted((ROOT / "notebooks" / "images").iterdir()):
        mirror(path)
    for package in PACKAGES:
        files.append(File.generated(config, f"api/{package}.md", content=api_page(package)))
    return files
