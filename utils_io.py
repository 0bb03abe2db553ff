"""Files in and out: user-facing errors, atomic writes, labels.csv, and the CLI exit contract.

Every stage writes its outputs through `atomic_output`, so an interrupted run never leaves a
half-written checkpoint, ONNX file or CSV in place of a good one.
"""
import contextlib
import csv
import hashlib
import os
import posixpath
import sys
import tempfile
from pathlib import Path

from config import CLASS_NAMES


class HelmitError(Exception):
    """A problem with the user's input or files; printed as one `error: ...` line, no traceback."""


@contextlib.contextmanager
def atomic_output(path, mode="w", **open_kwargs):
    """Yield a temp path (mode=None) or an open file next to `path`; rename into place on success.

    The temp file lives in the destination directory so the final `os.replace` is atomic on the
    same filesystem; on any exception (Ctrl-C included) the temp file is removed and `path` keeps
    whatever it held before.
    """
    path = Path(path)
    if path.is_dir():
        raise HelmitError(f"{path}: is a directory; give a file name for the output")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes files private (0600); outputs get normal permissions
    try:
        if mode is None:
            yield tmp
        else:
            with open(tmp, mode, **open_kwargs) as f:
                yield f
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(tmp)
        raise


def refuse_to_overwrite(path, overwrite, inputs=()):
    """Stop before any work when `path` exists and the user did not pass --overwrite.

    `inputs` are files this run reads: writing over one of them is refused even with --overwrite,
    since the run would destroy what it is made from (predictions written over labels.csv).
    """
    path = Path(path)
    for src in inputs:
        if src is not None and path.resolve() == Path(src).resolve():
            raise HelmitError(f"{path}: is also an input of this run; write the output to another file")
    if not overwrite and (path.exists() or path.is_symlink()):
        raise HelmitError(f"{path}: exists; pass --overwrite to replace it")


def file_sha256(path):
    """Hex sha256 of a file's bytes, read in 4 MB blocks (model files are hundreds of MB)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 22), b""):
            h.update(chunk)
    return h.hexdigest()


def write_csv(path, rows, fieldnames):
    """Write dict rows to `path` atomically."""
    with atomic_output(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=fieldnames, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


def read_labels_csv(labels_csv, data_root=None, check_files=True):
    """Read `path,label[,...]` rows; return dicts with `path` (as written), `abspath` and int `label`.

    `path` is relative to `data_root` (default: the CSV's own directory). Errors name the row; a
    repeated row is dropped with a warning (a repeated clip with the other label is an error), and
    a class with no rows is named in a warning (scoring one class is fine, training is not).
    """
    labels_csv = Path(labels_csv)
    if not labels_csv.is_file():
        raise HelmitError(f"{labels_csv}: labels file not found (run prep_dataset.py first)")
    root = Path(data_root) if data_root else labels_csv.parent
    try:
        # utf-8-sig: a labels.csv saved from a spreadsheet often starts with a byte-order mark
        with open(labels_csv, newline="", encoding="utf-8-sig") as f:
            rows = _label_rows(csv.DictReader(f), labels_csv, root, check_files)
    except (UnicodeDecodeError, csv.Error) as e:
        raise HelmitError(f"{labels_csv}: not a readable UTF-8 CSV ({e})") from None
    if not rows:
        raise HelmitError(f"{labels_csv}: no rows")
    for label, cls in enumerate(CLASS_NAMES):
        if not any(r["label"] == label for r in rows):
            print(f"warning: {labels_csv}: no clips of class '{cls}' (label {label}); "
                  "training needs both classes", file=sys.stderr)
    return rows


def _label_rows(reader, labels_csv, root, check_files):
    missing = {"path", "label"} - set(reader.fieldnames or [])
    if missing:
        raise HelmitError(f"{labels_csv}: missing column(s) {', '.join(sorted(missing))}; "
                          "expected a header 'path,label'")
    rows, first = [], {}  # first: normalised path -> (line, label) of its first row
    for row in reader:
        where = f"{labels_csv}:{reader.line_num}"
        try:
            label = int(str(row["label"]).strip())
        except ValueError:
            label = None
        if label not in (0, 1):
            raise HelmitError(f"{where}: label {row['label']!r} is not 0 (safe) or 1 (harmful)")
        rel = (row["path"] or "").strip()
        if not rel:
            raise HelmitError(f"{where}: empty path")
        key = posixpath.normpath(rel.replace("\\", "/"))  # ./a.wav and a.wav are one clip
        if key in first:
            line, first_label = first[key]
            if first_label != label:
                raise HelmitError(f"{where}: {rel} is labelled {label} here and {first_label} on line "
                                  f"{line}; keep one row per clip")
            print(f"warning: {where}: duplicate row for {rel} (first on line {line}); keeping the first",
                  file=sys.stderr)
            continue
        first[key] = (reader.line_num, label)
        abspath = root / rel
        if check_files and not abspath.is_file():
            what = "is not a file" if abspath.exists() else "does not exist"
            raise HelmitError(f"{where}: audio file {abspath} {what}")
        rows.append({**row, "path": rel, "abspath": str(abspath), "label": label})
    return rows


def run_cli(main):
    """Run a script's main(); turn HelmitError into `error: ...` on stderr and exit code 1."""
    try:
        code = main()
    except HelmitError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print("error: interrupted; outputs already in place were left untouched", file=sys.stderr)
        sys.exit(130)
    sys.exit(code or 0)
