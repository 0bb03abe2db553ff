"""Files in and out: user-facing errors, atomic writes, labels.csv, and the CLI exit contract.

Every stage writes its outputs through `atomic_output`, so an interrupted run never leaves a
half-written checkpoint, ONNX file or CSV in place of a good one.
"""
import contextlib
import csv
import os
import sys
import tempfile
from pathlib import Path


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


def write_csv(path, rows, fieldnames):
    """Write dict rows to `path` atomically."""
    with atomic_output(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=fieldnames, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


def read_labels_csv(labels_csv, data_root=None, check_files=True):
    """Read `path,label[,...]` rows; return dicts with `path` (as written), `abspath` and int `label`.

    `path` is relative to `data_root` (default: the CSV's own directory). Errors name the row.
    """
    labels_csv = Path(labels_csv)
    if not labels_csv.is_file():
        raise HelmitError(f"{labels_csv}: labels file not found (run prep_dataset.py first)")
    root = Path(data_root) if data_root else labels_csv.parent
    with open(labels_csv, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        missing = {"path", "label"} - set(reader.fieldnames or [])
        if missing:
            raise HelmitError(f"{labels_csv}: missing column(s) {', '.join(sorted(missing))}; "
                              "expected a header 'path,label'")
        rows, seen = [], set()
        for line_no, row in enumerate(reader, start=2):
            where = f"{labels_csv}:{line_no}"
            try:
                label = int(str(row["label"]).strip())
            except ValueError:
                label = None
            if label not in (0, 1):
                raise HelmitError(f"{where}: label {row['label']!r} is not 0 (safe) or 1 (harmful)")
            rel = (row["path"] or "").strip()
            if not rel:
                raise HelmitError(f"{where}: empty path")
            if rel in seen:
                print(f"warning: {where}: duplicate row for {rel}; keeping the first", file=sys.stderr)
                continue
            seen.add(rel)
            abspath = root / rel
            if check_files and not abspath.is_file():
                raise HelmitError(f"{where}: audio file {abspath} does not exist")
            rows.append({**row, "path": rel, "abspath": str(abspath), "label": label})
    if not rows:
        raise HelmitError(f"{labels_csv}: no rows")
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
