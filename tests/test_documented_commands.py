"""Every command the README, docs/*.md and the tools' --help examples show parses as written.

Commands rot: a flag is renamed, a choice dropped, a required flag added, and the docs
keep the old line. This test extracts each ``python -m keras_medgan.<tool> ...`` line
(fenced blocks, inline code, help epilogs; ``\\`` continuations joined; ``#`` comments and
shell redirections dropped) and hands it to that tool's own argparse parser. Running
them all would take hours (they train GANs); parsing catches the rot that bit us:
unknown flags, missing required flags, invalid choices. The quick start's commands also
run for real in other tests (train on the phantom, synthesize from the shipped models).
"""

from __future__ import annotations

import importlib
import pathlib
import re
import shlex

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

# tool module → the module holding build_parser (and an EPILOG with examples)
TOOLS = {
    "keras_medgan.train": "keras_medgan.cli.train",
    "keras_medgan.synthesize": "keras_medgan.cli.synthesize",
    "keras_medgan.benchmark": "keras_medgan.cli.benchmark",
    "keras_medgan.evaluate": "keras_medgan.cli.evaluate",
    "keras_medgan.data": "keras_medgan.cli.data",
    "keras_medgan.turing": "keras_medgan.cli.turing",
    "keras_medgan.study": "keras_medgan.cli.study",
}
COMMAND = re.compile(r"python3? -m (keras_medgan(?:\.\w+)+)(.*)")
FENCE = re.compile(r"```[^\n]*\n(.*?)```", re.DOTALL)
INLINE = re.compile(r"`([^`]+)`")


def _from_lines(text: str) -> list[tuple[str, str]]:
    """(tool, argument string) from shell-like lines: ``\\`` continuations joined, and
    everything from a comment, ``&&``, a pipe or a redirection on dropped."""
    out = []
    for line in re.sub(r"\\\s*\n\s*", " ", text).splitlines():
        match = COMMAND.search(line)
        if not match or match.group(1) not in TOOLS:
            continue
        args = re.split(r"\s(?:#|&&|\|\||\||\d?>)|;", " " + match.group(2))[0].strip()
        if args:  # a bare tool name is prose naming the tool, not a command
            out.append((match.group(1), " ".join(args.split())))
    return out


def _commands(text: str, source: str, markdown: bool = True) -> list[tuple[str, str, str]]:
    """(source, tool, argument string) for every tool command in ``text``: fenced blocks
    and inline code spans of Markdown (a span may wrap a line), or plain text."""
    if not markdown:
        return [(source, *c) for c in _from_lines(text)]
    found = [c for block in FENCE.findall(text) for c in _from_lines(block)]
    prose = FENCE.sub("", text)
    found += [c for span in INLINE.findall(prose) for c in _from_lines(span.replace("\n", " "))]
    return [(source, *c) for c in found]


def _documented() -> list[tuple[str, str, str]]:
    out = []
    for path in DOCS:
        out += _commands(path.read_text(), path.relative_to(ROOT).as_posix())
    for module in TOOLS.values():
        mod = importlib.import_module(module)
        for name in ("EPILOG", "SERVE_EPILOG", "SCORE_EPILOG"):
            if isinstance(getattr(mod, name, None), str):
                out += _commands(getattr(mod, name), f"{module}.{name}", markdown=False)
    return out


DOCUMENTED = _documented()


def test_the_docs_show_every_tool():
    assert {tool for _, tool, _ in DOCUMENTED} == set(TOOLS)
    assert len(DOCUMENTED) > 40


@pytest.mark.parametrize(
    "source,tool,args",
    DOCUMENTED,
    ids=[f"{s}:{t.split('.')[-1]}:{i}" for i, (s, t, _) in enumerate(DOCUMENTED)],
)
def test_documented_command_parses(source, tool, args, capsys):
    module = importlib.import_module(TOOLS[tool])
    argv = shlex.split(args)
    # a tool whose first word picks a parser (study: run / report) says which one
    parser, argv = (
        module.parser_for(argv) if hasattr(module, "parser_for") else (module.build_parser(), argv)
    )
    if "-h" in argv or "--help" in argv:
        return  # prints help and exits 0: nothing to check beyond the tool existing
    try:
        parser.parse_args(argv)
    except SystemExit as exc:
        message = capsys.readouterr().err.strip().splitlines()[-1:]
        pytest.fail(
            f"{source}: `python -m {tool} {args}` does not parse (exit {exc.code}): {message}"
        )


def test_extraction_joins_continuations_and_drops_comments_and_pipes():
    text = (
        "```bash\npython -m keras_medgan.train --arch dcgan32 \\\n    --data phantom  # try\n"
        "python -m keras_medgan.data info --data phantom 2>&1 | tail -3\n"
        "python -m keras_medgan.data info --data head_ct; ls\n```\n"
        "inline `python -m keras_medgan.synthesize --model p1_head_ct\n--n 4 --out s/` too; "
        "the tool `python -m keras_medgan.evaluate` named in prose is no command"
    )
    assert [c[1:] for c in _commands(text, "t")] == [
        ("keras_medgan.train", "--arch dcgan32 --data phantom"),
        ("keras_medgan.data", "info --data phantom"),
        ("keras_medgan.data", "info --data head_ct"),
        ("keras_medgan.synthesize", "--model p1_head_ct --n 4 --out s/"),
    ]


#: Documented commands cheap enough to RUN as written (in an empty folder, on the phantom
#: or the shipped generators); every other documented command is parsed above.
RUN_AS_WRITTEN = [
    ("keras_medgan.data", "info --data phantom --out phantom_grid.png", "phantom_grid.png"),
    ("keras_medgan.data", "phantom --out my_phantom --n 200 --seed 0 --grid grid.png", "grid.png"),
    ("keras_medgan.synthesize", "--list", None),
    (
        "keras_medgan.synthesize",
        "--generators p1_head_ct --n 100 --out synth_p1/",
        "synth_p1/labels.csv",
    ),
    ("keras_medgan.study", "--data phantom --quick --out studies/phantom --list-cells", None),
]


@pytest.mark.parametrize(
    "tool,args,made",
    RUN_AS_WRITTEN,
    ids=[f"{t.split('.')[-1]}:{a.split()[0]}" for t, a, _ in RUN_AS_WRITTEN],
)
def test_cheap_documented_command_runs_as_written(tool, args, made, tmp_path, monkeypatch):
    assert (tool, args) in {(t, a) for _, t, a in DOCUMENTED}, "no longer documented"
    monkeypatch.chdir(tmp_path)
    module = importlib.import_module(TOOLS[tool])
    assert module.main(shlex.split(args)) == 0
    if made:
        assert (tmp_path / made).exists()
