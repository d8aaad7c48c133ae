"""The package's import structure, read from the source with `ast`: DESIGN.md §1's dependency rule.

Every ``import`` and ``from ... import`` counts, wherever it stands (module top, inside a
function, under ``if TYPE_CHECKING``): an import inside a function is still an arrow between
two modules. ``from xentune import defaults`` is an arrow to ``xentune.defaults``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "xentune"

#: Floors, lowest first. A module may import its own floor or any floor below, never above.
#: The ground floor holds the types and file formats everything shares; kernels are
#: psychoacoustics, synthesis and tuning; ``timbre`` parses specs (``audio:`` measures a recording
#: with ``psychoacoustics.listen``, so it sits above the kernels); then what composes kernels
#: (generator, report, rendering of scores, chords files), the pipeline, sweeps, commands, the CLI.
FLOORS: tuple[tuple[str, ...], ...] = (
    (
        "xentune.errors",
        "xentune.defaults",
        "xentune.units",
        "xentune.atomic",
        "xentune.safe_read",
        "xentune.progress",
        "xentune.device",
        "xentune.spectrum",
        "xentune.score",
        "xentune.audio_io",
    ),
    ("xentune.psychoacoustics", "xentune.synth", "xentune.tuning"),
    ("xentune.timbre",),
    (
        "xentune.generator",
        "xentune.report",
        "xentune.rendering",
        "xentune.render_file",
        "xentune.chords_csv",
    ),
    ("xentune.pipeline",),
    ("xentune.sweep",),
    ("xentune.commands",),
    ("xentune.cli", "xentune"),
)
#: Packages of kernels, and what they must never import (by DESIGN.md).
KERNELS = ("xentune.psychoacoustics", "xentune.tuning", "xentune.synth")
ABOVE_KERNELS = (
    "xentune.generator",
    "xentune.report",
    "xentune.pipeline",
    "xentune.commands",
    "xentune.cli",
)
#: Only the CLI layer may import these (library code shows no UI; it takes a progress factory).
UI_PACKAGES = ("typer", "rich", "click")
CLI_LAYER = ("xentune.commands", "xentune.cli")


def _within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def module_name(path: Path, root: Path) -> str:
    """``xentune/tuning/edo.py`` -> ``xentune.tuning.edo``; a package's ``__init__`` is the package."""
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def imports_of(source: str, module: str, *, is_package: bool, known: set[str]) -> set[str]:
    """Every module ``module`` imports (absolute names; relative imports resolved)."""
    package = module if is_package else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            # `from pkg import mod` is an arrow to pkg.mod when that is a module.
            subs = {f"{target}.{a.name}" for a in node.names} & known
            found.update(subs)
            if len(subs) < len(node.names):
                found.add(target)
    return found


def import_graph(root: Path = PACKAGE) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """``(internal, external)``: per module its imports inside the package, and all its imports."""
    paths = {module_name(p, root): p for p in sorted(root.rglob("*.py"))}
    known = set(paths)
    internal: dict[str, set[str]] = {}
    external: dict[str, set[str]] = {}
    for name, path in paths.items():
        deps = imports_of(
            path.read_text(encoding="utf-8"),
            name,
            is_package=path.name == "__init__.py",
            known=known,
        )
        external[name] = deps
        inside = set()
        for d in deps:
            # The nearest enclosing module the package has (``xentune.x.y`` of ``import x.y.z``).
            while d and d not in known:
                d = d.rpartition(".")[0]
            if d and d != name:
                inside.add(d)
        internal[name] = inside
    return internal, external


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as ``[a, b, ..., a]``, or None (depth-first search, colours)."""
    white, grey, black = 0, 1, 2
    colour = dict.fromkeys(graph, white)
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        colour[node] = grey
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if colour.get(nxt, black) == grey:
                return [*stack[stack.index(nxt) :], nxt]
            if colour.get(nxt) == white and (found := visit(nxt)) is not None:
                return found
        stack.pop()
        colour[node] = black
        return None

    for start in sorted(graph):
        if colour[start] == white and (found := visit(start)) is not None:
            return found
    return None


def floor_of(module: str) -> int:
    """The floor (index into `FLOORS`) of a module: the longest matching prefix wins."""
    best, best_len = -1, -1
    for k, prefixes in enumerate(FLOORS):
        for p in prefixes:
            if _within(module, p) and len(p) > best_len:
                best, best_len = k, len(p)
    if best < 0:
        raise AssertionError(f"{module} is on no floor: add it to FLOORS in {__file__}")
    return best


def upward_arrows(graph: dict[str, set[str]]) -> list[str]:
    """Every ``a -> b`` where ``b`` lives on a higher floor than ``a``."""
    return sorted(
        f"{a} (floor {floor_of(a)}) -> {b} (floor {floor_of(b)})"
        for a, deps in graph.items()
        for b in deps
        if floor_of(b) > floor_of(a)
    )


# ------------------------------------------------------------------------------------------
# The package


GRAPH, EXTERNAL = import_graph()


def test_the_package_is_read() -> None:
    # The reader sees what is there: a few arrows that exist and must stay found.
    assert "xentune.errors" in GRAPH["xentune.spectrum"]
    assert "xentune.tuning.edo" in GRAPH["xentune.tuning.scale_analysis"]
    assert "xentune.defaults" in GRAPH["xentune.audio_io"]  # `from xentune import defaults`
    assert "typer" in EXTERNAL["xentune.cli"]
    assert len(GRAPH) > 60


def test_no_import_cycle() -> None:
    assert find_cycle(GRAPH) is None, " -> ".join(find_cycle(GRAPH) or [])


def test_every_module_is_on_a_floor_and_nothing_imports_upward() -> None:
    assert upward_arrows(GRAPH) == []


def test_kernels_know_nothing_above_them() -> None:
    bad = sorted(
        f"{a} -> {b}"
        for a, deps in GRAPH.items()
        if any(_within(a, k) for k in KERNELS)
        for b in deps
        if any(_within(b, up) for up in ABOVE_KERNELS)
    )
    assert bad == []


def test_only_the_cli_layer_imports_typer_or_rich() -> None:
    bad = sorted(
        f"{a} imports {b}"
        for a, deps in EXTERNAL.items()
        if not any(_within(a, c) for c in CLI_LAYER)
        for b in deps
        if any(_within(b, ui) for ui in UI_PACKAGES)
    )
    assert bad == []


def test_the_ground_floor_imports_only_the_ground_floor() -> None:
    ground = [m for m in GRAPH if floor_of(m) == 0]
    assert "xentune.spectrum" in ground and "xentune.score" in ground
    bad = sorted(f"{a} -> {b}" for a in ground for b in GRAPH[a] if floor_of(b) != 0)
    assert bad == []


# ------------------------------------------------------------------------------------------
# The checks themselves catch what they are for (on small made-up packages)


def _package(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "xentune"
    for rel, text in {"__init__.py": "", **files}.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    return root


def test_a_cycle_through_a_function_level_import_is_found(tmp_path: Path) -> None:
    root = _package(
        tmp_path,
        {
            "timbre.py": "def f():\n    from xentune.psychoacoustics.listen import g\n",
            "psychoacoustics/__init__.py": "",
            "psychoacoustics/listen.py": "from xentune.timbre import f\n",
        },
    )
    graph, _ = import_graph(root)
    cycle = find_cycle(graph)
    assert cycle is not None and cycle[0] == cycle[-1]
    assert set(cycle) == {"xentune.timbre", "xentune.psychoacoustics.listen"}


def test_upward_arrows_and_ui_imports_are_found(tmp_path: Path) -> None:
    root = _package(
        tmp_path,
        {
            "score.py": "",
            "synth/__init__.py": "",
            "synth/additive.py": "from xentune.score import Score\n",
            "spectrum.py": "from .synth import additive\n",  # ground -> kernel, relative
            "tuning/__init__.py": "",
            "tuning/edo.py": "import rich.progress\nfrom xentune.report import x\n",
            "report/__init__.py": "x = 1\n",
        },
    )
    graph, external = import_graph(root)
    assert graph["xentune.spectrum"] == {"xentune.synth.additive"}
    assert upward_arrows(graph) == [
        "xentune.spectrum (floor 0) -> xentune.synth.additive (floor 1)",
        "xentune.tuning.edo (floor 1) -> xentune.report (floor 3)",
    ]
    assert "rich.progress" in external["xentune.tuning.edo"]


def test_a_module_on_no_floor_is_an_error() -> None:
    with pytest.raises(AssertionError, match="on no floor"):
        floor_of("elsewhere.module")
