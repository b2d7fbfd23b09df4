"""A function-local import must earn its place: it keeps a heavy package (TensorFlow,
Keras, matplotlib, scikit-learn, ...) out of a module that otherwise loads without it, or
it reaches an optional dependency. Each one says so in a ``# lazy:`` comment of at most
six words; everything else belongs at the top of its module, where a reader looks."""

import ast
import pathlib
import re

PACKAGE = pathlib.Path(__file__).resolve().parents[1] / "keras_medgan"
HEAVY = {
    "tensorflow",
    "keras",
    "matplotlib",
    "sklearn",
    "scipy",
    "cv2",
    "pydicom",
    "h5py",
    "pandas",
    "tensorflow_datasets",
    "PIL",
}
IMPLIES = {"keras": {"tensorflow"}, "tensorflow_datasets": {"tensorflow"}}  # Keras 3 on TF
OPTIONAL = {"nibabel", "selenium", "pylibjpeg", "fcntl"}  # extras, or POSIX only
COMMENT = re.compile(r"#\s*lazy:\s*(.+?)\s*$")


def _name(path: pathlib.Path) -> str:
    parts = path.with_suffix("").relative_to(PACKAGE.parent).parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_name(p): p for p in PACKAGE.rglob("*.py")}
TREES = {m: ast.parse(p.read_text()) for m, p in MODULES.items()}


def _nearest(name: str) -> str:
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name


def _targets(node) -> list[str]:
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    base = node.module or ""
    return [base] + (
        [f"{base}.{a.name}" for a in node.names] if base.startswith("keras_medgan") else []
    )


def _module_level_imports(tree) -> list:
    """Imports that run when the module loads (also inside top-level if / try blocks)."""
    found, todo = [], list(tree.body)
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.append(node)
        elif isinstance(node, ast.If) and "TYPE_CHECKING" not in ast.unparse(node.test):
            todo += node.body + node.orelse
        elif isinstance(node, ast.Try):
            todo += node.body + node.orelse + node.finalbody
            todo += [s for h in node.handlers for s in h.body]
    return found


def _edges(module: str) -> set[str]:
    edges = {p for p in (module.rsplit(".", i)[0] for i in range(1, module.count(".") + 1))}
    for node in _module_level_imports(TREES[module]):
        for target in _targets(node):
            if target.startswith("keras_medgan"):
                near = _nearest(target)
                edges |= {near} | {near.rsplit(".", i)[0] for i in range(1, near.count(".") + 1)}
            else:
                edges.add("ext:" + target.split(".")[0])
    return (edges & (set(MODULES) | {e for e in edges if e.startswith("ext:")})) - {module}


EDGES = {m: _edges(m) for m in MODULES}


def heavy_on_load(module: str, seen=None) -> set[str]:
    """The heavy packages importing ``module`` loads (its module-level imports, followed)."""
    seen = set() if seen is None else seen
    if module.startswith("ext:"):
        name = module[4:]
        return ({name} | IMPLIES.get(name, set())) & HEAVY
    if module in seen:
        return set()
    seen.add(module)
    return set().union(*(heavy_on_load(e, seen) for e in EDGES[module]))


def local_imports():
    """(module, line, import statement, comment reason or None, heavy packages it adds,
    whether it reaches an optional dependency) for every function-local import."""
    for module, tree in sorted(TREES.items()):
        lines = MODULES[module].read_text().splitlines()
        host = heavy_on_load(module)
        for func in ast.walk(tree):
            if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(func):
                if not isinstance(node, (ast.Import, ast.ImportFrom)):
                    continue
                brings = set()
                for target in _targets(node):
                    if target.startswith("keras_medgan"):
                        brings |= heavy_on_load(_nearest(target))
                    else:
                        brings |= heavy_on_load("ext:" + target.split(".")[0])
                optional = any(t.split(".")[0] in OPTIONAL for t in _targets(node))
                text = " ".join(lines[node.lineno - 1 : node.end_lineno])
                above = lines[node.lineno - 2].strip() if node.lineno > 1 else ""
                match = COMMENT.search(text) or (above.startswith("#") and COMMENT.search(above))
                reason = match.group(1) if match else None
                yield module, node.lineno, ast.unparse(node), reason, brings - host, optional


def test_every_local_import_keeps_something_heavy_out_or_is_optional_and_says_so():
    problems = []
    for module, line, stmt, reason, adds, optional in local_imports():
        where = f"{module}:{line} {stmt}"
        if not adds and not optional:
            problems.append(f"{where}: loads nothing heavy the module lacks; import at the top")
        elif reason is None:
            problems.append(f"{where}: say why in a '# lazy: ...' comment")
        elif len(reason.split()) > 6:
            problems.append(f"{where}: '# lazy: {reason}' is more than six words")
    assert problems == [], "\n".join(problems)


def test_the_check_sees_a_pointless_and_an_unexplained_local_import(monkeypatch):
    planted = ast.parse("def f():\n    import json\n\ndef g():\n    import tensorflow\n")
    monkeypatch.setitem(TREES, "keras_medgan.planted", planted)
    monkeypatch.setitem(MODULES, "keras_medgan.planted", _Source(planted))
    monkeypatch.setitem(EDGES, "keras_medgan.planted", set())
    rows = [r for r in local_imports() if r[0] == "keras_medgan.planted"]
    assert [(r[2], r[3], r[4]) for r in rows] == [
        ("import json", None, set()),
        ("import tensorflow", None, {"tensorflow"}),
    ]


class _Source:
    def __init__(self, tree):
        self.text = ast.unparse(tree)

    def read_text(self):
        return self.text


def test_import_keras_medgan_and_the_dispatcher_stay_light():
    assert heavy_on_load("keras_medgan") == set()
    assert heavy_on_load("keras_medgan.cli") == set()
    assert heavy_on_load("keras_medgan.cli.stored_help") == set()
    core = {m for m in MODULES if m.startswith("keras_medgan.core")}
    assert {m for m in core if heavy_on_load(m)} == {"keras_medgan.core.runtime"}
