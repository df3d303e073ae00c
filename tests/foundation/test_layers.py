"""Dependencies point one way: music <- audio <- agents <- session <- widgets/server/cli.

Read from the source (every ``import`` and ``from ... import``, at any depth in a module), so a
late import inside a function counts as much as one at the top.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import orchestria_lab

PACKAGE = Path(orchestria_lab.__file__).parent
#: What each layer may not import (the layers above it, and the package root that imports all).
FORBIDDEN = {
    "music": ("orchestria_lab.state", "orchestria_lab.audio", "orchestria_lab.agents", "orchestria_lab.session", "orchestria_lab.language",
              "orchestria_lab.models", "orchestria_lab.server", "orchestria_lab.widgets"),
    "audio": ("orchestria_lab.agents", "orchestria_lab.session", "orchestria_lab.language", "orchestria_lab.models",
              "orchestria_lab.server", "orchestria_lab.widgets"),
}
#: Known exceptions, each with the reason it is still there.
ALLOWED = {
    # MIDI files are written from a whole State; this module goes up a layer with MIDI import (issue 15)
    ("music/midi.py", "orchestria_lab.state"),
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
    return out


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_lower_layers_do_not_import_upper_ones(layer):
    bad = []
    for path in sorted((PACKAGE / layer).glob("*.py")):
        for name in _imports(path):
            if (str(path.relative_to(PACKAGE)), name) in ALLOWED:
                continue
            if name == "orchestria_lab" or any(name == f or name.startswith(f + ".") for f in FORBIDDEN[layer]):
                bad.append(f"{path.relative_to(PACKAGE)} imports {name}")
    assert not bad, "\n".join(bad)
