"""The README's Python examples, run as a reader would: in order, in one namespace, each block's printed
output compared with the output block the README shows after it.

    python tests/readme_examples.py README.md      # prints one JSON object per block; exit 1 on a mismatch

A ```python block's expected output is the plain ``` block right after it (only blank lines or the word
"prints" between them); a block with none must print nothing. `fit`'s progress bar goes to stderr and
its timings vary, so lines starting with "fit: " are left out of the comparison (and looked for on stderr).
Imports nothing outside the standard library, so it runs in a fresh virtualenv with only the wheel installed.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path

FENCE = re.compile(r"^```([\w-]*)\n(.*?)^```\n", re.MULTILINE | re.DOTALL)
PROGRESS = "fit: "


@dataclass
class Example:
    line: int  # where the ```python fence is in the README (1-based)
    code: str
    expected: str | None  # the output block after it, None when there is none


def examples(text: str) -> list[Example]:
    """Every ```python block of `text` with the output block that follows it."""
    fences = list(FENCE.finditer(text))
    found = []
    for k, fence in enumerate(fences):
        if fence.group(1) != "python":
            continue
        expected = None
        if k + 1 < len(fences) and fences[k + 1].group(1) == "":
            between = text[fence.end() : fences[k + 1].start()].strip()
            if between in ("", "prints"):
                expected = fences[k + 1].group(2)
        found.append(Example(text.count("\n", 0, fence.start()) + 1, fence.group(2), expected))
    return found


def run(text: str) -> list[dict[str, object]]:
    """Run every example in order in one namespace; one result per block (stops at the first exception)."""
    namespace: dict[str, object] = {"__name__": "__readme__"}
    results: list[dict[str, object]] = []
    for example in examples(text):
        out, err = io.StringIO(), io.StringIO()
        error = None
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                exec(compile(example.code, f"README.md:{example.line}", "exec"), namespace)
            except Exception:
                error = traceback.format_exc()
        expected = example.expected or ""
        wanted = "".join(line for line in expected.splitlines(True) if not line.startswith(PROGRESS))
        results.append(
            {
                "line": example.line,
                "ok": error is None and out.getvalue() == wanted,
                "expected": wanted,
                "printed": out.getvalue(),
                "progress_expected": expected != wanted,
                "progress_shown": PROGRESS + "100%" in err.getvalue(),
                "error": error,
            }
        )
        if error is not None:
            break
    return results


if __name__ == "__main__":
    results = run(Path(sys.argv[1]).read_text(encoding="utf-8"))
    print(json.dumps(results))
    raise SystemExit(0 if results and all(r["ok"] for r in results) else 1)
