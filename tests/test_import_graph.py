"""No import cycles in the package, counting imports inside functions too: a cycle hidden
by a function-local import still ties two modules into one unit a reader must take
whole, and breaks the day someone moves the import to the top."""

import ast
import pathlib

PACKAGE = pathlib.Path(__file__).resolve().parents[1] / "keras_medgan"


def _module_names() -> dict[str, pathlib.Path]:
    names = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.with_suffix("").relative_to(PACKAGE.parent).parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names[".".join(parts)] = path
    return names


def _nearest(name: str, modules) -> str:
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name


def import_graph() -> dict[str, set[str]]:
    """module → the package modules it imports anywhere in its body (``from pkg import
    name`` counts as importing ``pkg.name`` when that is a module, else ``pkg``)."""
    modules = _module_names()
    graph = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        edges = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                edges |= {
                    _nearest(a.name, modules)
                    for a in node.names
                    if a.name.startswith("keras_medgan")
                }
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*parts, base] if base else parts)
                if base.startswith("keras_medgan"):
                    for a in node.names:
                        full = f"{base}.{a.name}"
                        edges.add(full if full in modules else _nearest(base, modules))
        graph[name] = edges - {name, ""}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_cycle_finder_finds_a_planted_cycle():
    planted = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(planted) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_the_package_has_no_import_cycle():
    graph = import_graph()
    assert (
        len(graph) > 80 and "keras_medgan.training.trainer" in graph
    )  # the walk found the package
    assert graph["keras_medgan.generators.pretrained"] >= {
        "keras_medgan.generators.sampling",
        "keras_medgan.generators.shipped",
    }
    assert cycles(graph) == []


#: Each folder of the package and the folders it may import (docs/INTERFACES.md's map).
#: A folder imports only folders listed before it here; ``cli`` sits on top.
MAY_IMPORT = {
    "core": set(),
    "data": {"core"},
    "models": {"core"},
    "gans": {"core", "models"},
    "generators": {"core", "models"},
    "training": {"core", "data", "models", "gans", "generators"},
    "evaluate": {"core", "data", "models", "generators", "training"},
    "compare": {"core", "data", "models", "generators", "evaluate"},
    "study": {"core", "data", "models", "generators", "evaluate", "training", "compare"},
    "turing": {"core", "data", "generators", "evaluate"},
}
MAY_IMPORT["cli"] = set(MAY_IMPORT)  # and any folder may read keras_medgan._version


def folder_of(module: str) -> str:
    """``keras_medgan.training.runs`` → ``training``; a top-level module → its own name."""
    return module.split(".")[1] if module.count(".") else ""


def entry_module(module: str) -> bool:
    """The package's ``__init__`` and the ``python -m`` entry points (the top-level modules
    and the ``__main__`` files): they only hand the command line to ``cli``."""
    return module.count(".") <= 1 or module.endswith(".__main__")


def layer_violations(graph: dict[str, set[str]]) -> list[str]:
    found = []
    for module, imported in sorted(graph.items()):
        if entry_module(module):
            continue
        folder = folder_of(module)
        for target in sorted(imported):
            other = folder_of(target)
            if other not in (folder, "_version") and other not in MAY_IMPORT[folder]:
                found.append(f"{module} imports {target}")
    return found


def test_the_layer_check_finds_a_planted_upward_import():
    planted = {"keras_medgan.data.dicom": {"keras_medgan.training.runs"}}
    assert layer_violations(planted) == [
        "keras_medgan.data.dicom imports keras_medgan.training.runs"
    ]
    assert layer_violations({"keras_medgan.data.__main__": {"keras_medgan.cli.data"}}) == []


def test_every_folder_imports_only_the_folders_below_it():
    graph = import_graph()
    folders = {folder_of(m) for m in graph if not entry_module(m)}
    assert folders == set(MAY_IMPORT)  # a new folder gets its line in MAY_IMPORT
    assert layer_violations(graph) == []


def test_the_top_level_holds_only_folders_and_entry_points():
    top = {p.stem for p in PACKAGE.glob("*.py")}
    assert top == {"__init__", "_version", "train", "synthesize", "benchmark"}
    for name in ("train", "synthesize", "benchmark"):
        text = (PACKAGE / f"{name}.py").read_text()
        assert len(text.splitlines()) < 10 and f"keras_medgan.cli.{name}" in text
