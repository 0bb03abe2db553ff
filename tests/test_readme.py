"""The documented commands run as written, and the README stays a five-minute read.

Every `python <script>.py ...`, `torchrun ... <script>.py ...` and `make <target>` line in README.md
(```bash blocks and inline code), docs/*.md and insights.md is checked: the script exists, every
`--flag` it is given appears in that script's `--help`, and every make target is in the Makefile.
A renamed flag or a typo in the docs then fails here instead of in a newcomer's terminal.
"""
import functools
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = [README, ROOT / "insights.md", *sorted((ROOT / "docs").glob("*.md"))]
MAX_README_BYTES = 15_000  # about five minutes of reading

# Documented ahead of the code: ("make", target) or (script, flag). These are reported, not failed.
# Remove an entry once it exists (test_pending_entries_are_still_missing fails until you do).
KNOWN_PENDING = set()

PYTHON = re.compile(r"^(\S*/)?python3?$")  # python, python3, .venv/bin/python
SHELL_WORDS = {"do", "then", "else", "time", "!"}


def venv_python():
    """The repo's venv interpreter when there is one, else the one running the tests."""
    exe = ROOT / ".venv" / "bin" / "python"
    return str(exe) if exe.exists() else sys.executable


def command_lines(path):
    """[(where, command)] of every shell command shown in a markdown file: ```bash blocks (with
    backslash continuations joined and comments dropped) and inline `python ...` / `make ...`."""
    text = path.read_text()
    found = []
    for block in re.finditer(r"^```(?:bash|sh|shell)\n(.*?)^```", text, re.M | re.S):
        first = text.count("\n", 0, block.start(1)) + 1
        lines = block.group(1).split("\n")
        i = 0
        while i < len(lines):
            start, line = i, lines[i]
            while line.rstrip().endswith("\\") and i + 1 < len(lines):
                i += 1
                line = line.rstrip()[:-1] + " " + lines[i]
            line = re.sub(r"(^|\s)#.*$", "", line).strip()  # a shell comment
            if line:
                found.append((f"{path.name}:{first + start}", " ".join(line.split())))
            i += 1
    # blank the fenced blocks out, keeping every offset, so line numbers stay right
    prose = re.sub(r"^```.*?^```", lambda m: re.sub(r"[^\n]", " ", m.group(0)), text, flags=re.M | re.S)
    for span in re.finditer(r"`([^`\n]+)`", prose):
        words = span.group(1).split()
        if words and (PYTHON.match(words[0]) or words[0] in ("make", "torchrun")):
            found.append((f"{path.name}:{text.count(chr(10), 0, span.start()) + 1}", span.group(1)))
    return found


def parse(command):
    """[("make", [targets]) or (script, [flags])] for each simple command in a shell line."""
    out = []
    for segment in re.split(r";|&&|\|\||\|", command):
        words = segment.split()
        while words and (words[0] in SHELL_WORDS or re.match(r"^[A-Za-z_]\w*=", words[0])):
            words = words[1:]  # loop keywords and VAR=value prefixes
        if not words:
            continue
        if words[0] == "make":
            out.append(("make", [w for w in words[1:] if not w.startswith("-") and "=" not in w]))
        elif PYTHON.match(words[0]) or words[0] == "torchrun":
            scripts = [k for k, w in enumerate(words) if w.endswith(".py")]
            if not scripts or (PYTHON.match(words[0]) and scripts[0] != 1):
                continue  # python -m ..., python -c ..., a bare interpreter
            k = scripts[0]
            out.append((words[k], [w.split("=")[0] for w in words[k + 1:] if re.match(r"^--[A-Za-z]", w)]))
    return out


# argparse starts each option's entry in --help with its flags, indented two spaces: "  -h, --help  ...",
# "  --data_root DATA_ROOT  ...". Help text wrapped onto later lines is indented further, and the usage
# synopsis is not indented that way, so a flag only mentioned in prose does not count as an option.
OPTION_LINE = re.compile(r"^  (-\S.*?)(?:\s{2,}|$)")


def option_flags(help_text):
    """The flags argparse lists as options in `help_text` (a --help output): not those its prose mentions."""
    return frozenset(flag.split()[0] for line in help_text.splitlines() if (m := OPTION_LINE.match(line))
                     for flag in re.split(r", (?=-)", m[1]))


@functools.cache
def help_text(script):
    """`<script> --help` (run once per script)."""
    proc = subprocess.run([venv_python(), script, "--help"], cwd=ROOT, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, f"{script} --help exited {proc.returncode}:\n{proc.stderr[-2000:]}"
    return proc.stdout


def script_flags(script):
    """Every flag that `<script> --help` lists as an option."""
    return option_flags(help_text(script))


@functools.cache
def make_targets():
    text = (ROOT / "Makefile").read_text()
    heads = re.findall(r"^([A-Za-z0-9_.%/-][^:=#\n]*?)\s*::?(?!=)", text, re.M)
    return frozenset(t for head in heads for t in head.split())


def missing(command):
    """(problems, pending): what in `command` does not exist, split by KNOWN_PENDING."""
    problems, pending = [], []
    for program, args in parse(command):
        if program == "make":
            for target in args:
                if target not in make_targets():
                    (pending if ("make", target) in KNOWN_PENDING else problems).append(
                        f"make target '{target}' is not in the Makefile")
            continue
        if not (ROOT / program).is_file():
            problems.append(f"{program}: no such script")
            continue
        for flag in args:
            if flag not in script_flags(program):
                (pending if (program, flag) in KNOWN_PENDING else problems).append(
                    f"{program}: {flag} is not an option in its --help")
    return problems, pending


ALL_COMMANDS = [c for doc in DOCS if doc.is_file() for c in command_lines(doc)]


def test_readme_reads_in_five_minutes():
    size = len(README.read_bytes())
    assert size <= MAX_README_BYTES, f"README.md is {size:,} bytes; keep it under {MAX_README_BYTES:,} (details go to docs/)"


def test_the_readme_shows_the_commands_a_newcomer_needs():
    # guards the extractor too: if it found nothing, every other test here would pass vacuously
    shown = set()
    for _, command in command_lines(README):
        for program, args in parse(command):
            shown.update(args if program == "make" else [program])
    for needed in ("demo", "test", "download_from_drive.py", "prep_dataset.py", "train.py", "infer.py",
                   "infer_dataset.py"):
        assert needed in shown, f"README.md shows no command for {needed}"
    readme = README.read_text()
    assert "docs/img/fused_confusion.png" in readme and "insights.md" in readme


@pytest.mark.parametrize("where,command", ALL_COMMANDS, ids=[w for w, _ in ALL_COMMANDS])
def test_documented_command_exists(where, command):
    problems, pending = missing(command)
    assert not problems, f"{where}: `{command}`\n  " + "\n  ".join(problems)
    if pending:
        pytest.xfail("documented ahead of the code (KNOWN_PENDING): " + "; ".join(pending))


def test_a_misspelt_flag_script_or_target_is_caught():
    problems, _ = missing("python infer.py --fusion runs/helmit_fused --audio_pth clip.wav")
    assert problems == ["infer.py: --audio_pth is not an option in its --help"]
    problems, _ = missing("for i in 0 1; do python infer_dataset.py --num_shards 2 --shard_idx $i; done")
    assert problems == ["infer_dataset.py: --shard_idx is not an option in its --help"]
    assert missing("python infer_datset.py --data_root data")[0] == ["infer_datset.py: no such script"]
    assert missing("make dmeo")[0] == ["make target 'dmeo' is not in the Makefile"]
    assert missing("torchrun --nproc_per_node 2 train.py --data_root data --batchsize 8")[0] == [
        "train.py: --batchsize is not an option in its --help"]  # torchrun's own flags are not train.py's
    assert missing("python infer.py --fusion runs/helmit_fused --audio_path clip.wav") == ([], [])


def test_a_flag_only_mentioned_in_a_scripts_help_text_is_not_its_option():
    # compute_metrics.py's help names infer_dataset.py --num_shards, train.py's names torchrun's --nproc_per_node
    assert "--num_shards" in help_text("compute_metrics.py") and "--nproc_per_node" in help_text("train.py")
    assert missing("python compute_metrics.py preds.csv --num_shards 4")[0] == [
        "compute_metrics.py: --num_shards is not an option in its --help"]
    assert missing("python train.py --nproc_per_node 2 --data_root data")[0] == [
        "train.py: --nproc_per_node is not an option in its --help"]


def test_option_flags_reads_argparse_option_lines_only():
    import argparse

    p = argparse.ArgumentParser(prog="x.py", description="Also see --described in the description.")
    p.add_argument("paths", nargs="*", help="inputs, e.g. from other.py --positional_prose")
    p.add_argument("-n", "--n_items", type=int, help="how many (" + "with --wrapped_prose " * 8 + ")")
    p.add_argument("--very_long_option_name_past_the_help_column", metavar="VALUE", help="help on the next line")
    p.add_argument("--mode", choices=["a", "b"], help="a or b; --mode_prose is not a flag")
    p.add_argument("--pooling", choices=["mean", "layers"], default="mean", help="a comma in its metavar")
    p.add_argument("--two", nargs=2, metavar=("A", "B"), help="two values")
    p.add_argument("--on", action="store_true")
    p.add_argument("--alias", "--alias-dashed", dest="alias")
    want = {"-h", "--help", "-n", "--n_items", "--very_long_option_name_past_the_help_column", "--mode", "--pooling",
            "--two", "--on", "--alias", "--alias-dashed"}
    assert option_flags(p.format_help()) == want
    assert set(re.findall(r"--[A-Za-z0-9][\w-]*", p.format_help())) - want  # the prose flags are in the text


def test_pending_entries_are_still_missing():
    for program, name in sorted(KNOWN_PENDING):
        exists = name in make_targets() if program == "make" else name in script_flags(program)
        assert not exists, f"{program} {name} exists now: remove it from KNOWN_PENDING in {Path(__file__).name}"


# every stage's --help, here beside the README checks that read the same help texts: run once per process
SCRIPTS = ["synth_dataset.py", "download_from_drive.py", "prep_dataset.py", "train.py", "export_onnx.py",
           "quantize_onnx.py", "infer.py", "infer_dataset.py", "compute_metrics.py", "transcribe.py",
           "train_text.py", "fusion.py", "eval_text.py", "speak_text.py", "text_corpus.py", "average_text_models.py"]


@pytest.mark.parametrize("script", SCRIPTS)
def test_every_stage_explains_its_flags(script):
    """Every option its --help lists carries words of help, on its own line or the next."""
    lines = help_text(script).splitlines()
    options, bare = [], []
    for i, line in enumerate(lines):
        if m := OPTION_LINE.match(line):
            options.append(m[1])
            after = lines[i + 1] if i + 1 < len(lines) else ""
            if not line[m.end():].strip() and not (after.startswith("   ") and after.strip()
                                                    and not OPTION_LINE.match(after)):
                bare.append(m[1])
    assert "-h, --help" in options and len(options) >= 3, lines
    assert bare == [], f"{script}: options without help: {bare}"


# Each stage's --help is run in turn in one process, so a module imported by one is still there for the next:
# the first script after which one of these is loaded is the one that loaded it.
HELP_WITHOUT = ("torch", "sklearn", "scipy.signal", "onnx")
HELP_IMPORTS = """
import contextlib, io, runpy, sys
for script in sys.argv[1:]:
    sys.argv = [script, "--help"]
    with contextlib.redirect_stdout(io.StringIO()):
        try:
            runpy.run_path(script, run_name="__main__")
            code = "no exit"
        except SystemExit as e:
            code = e.code
    loaded = [name for name in %r if name in sys.modules]
    if loaded or code != 0:
        print(script, "--help exited", code, "and imported", loaded)
        break
""" % (HELP_WITHOUT,)


def test_every_stage_answers_help_before_importing_its_heavy_packages():
    """Every stage's --help exits 0 having loaded none of torch, scikit-learn, scipy.signal and onnx (seconds of
    wall time to import here: torch 4-7 s, scikit-learn ~2 s, scipy.signal ~1.9 s, onnx ~1 s): it reads its command
    line first."""
    proc = subprocess.run([venv_python(), "-c", HELP_IMPORTS, *SCRIPTS], cwd=ROOT, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout == "", proc.stdout


def test_every_flag_the_readme_names_exists():
    readme = (ROOT / "README.md").read_text()
    # options, not any --word a help's prose mentions; the README's torchrun command names torchrun's own
    options = set().union(*(option_flags(help_text(s)) for s in SCRIPTS))
    options |= option_flags(subprocess.run([sys.executable, "-m", "torch.distributed.run", "--help"],
                                           capture_output=True, text=True, check=True).stdout)
    missing = sorted({f for f in re.findall(r"--[a-z][a-z0-9_]+", readme) if f not in options})
    assert missing == [], missing
