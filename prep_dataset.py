"""Label the clips: scan data_root/<class>/ and write labels.csv (path,label,duration_s,...).

Every file with an audio extension is decoded once with `utils_audio.load_audio`, the same decoder
training uses, so a file that would fail mid-training is named here and left out instead. If
synth_dataset.py left a `synth_manifest.csv`, the category/template/holdout/group columns
it has are joined in so later stages can keep a conversation within one fold.

  python prep_dataset.py --data_root data
"""
import argparse
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tqdm import tqdm

from config import AUDIO_EXTENSIONS, CFG, CLASS_NAMES
from utils_audio import AudioStats, list_audio_files, load_audio
from utils_io import HelmitError, clip_digest, csv_rows, refuse_to_overwrite, run_cli, write_csv

MANIFEST_NAME = "synth_manifest.csv"
MANIFEST_COLUMNS = ("category", "template", "holdout", "group")  # joined when the manifest has them


def scan_classes(data_root: Path) -> list:
    """[(path, label)] for every audio file of every class; a missing or empty class is an error."""
    if not data_root.is_dir():
        raise HelmitError(f"{data_root}: data root not found (run synth_dataset.py or "
                          "download_from_drive.py first)")
    found = []
    for label, cls in enumerate(CLASS_NAMES):
        class_dir = data_root / cls
        if not class_dir.is_dir():
            other_case = [d.name for d in data_root.iterdir() if d.is_dir() and d.name.lower() == cls]
            hint = f" ('{other_case[0]}/' is there: the names are lower-case)" if other_case else ""
            raise HelmitError(f"{class_dir}: class directory for '{cls}' not found{hint}; both "
                              f"{', '.join(f'{c}/' for c in CLASS_NAMES)} are needed to train")
        files = list_audio_files(class_dir)
        if not files:
            raise HelmitError(f"{class_dir}: no audio files ({', '.join(AUDIO_EXTENSIONS)}) for "
                              f"class '{cls}'")
        found += [(path, label) for path in files]
    # audio elsewhere under the root (an "unsure/" folder, a stray file) has no label: say it is left out
    class_dirs = [data_root / c for c in CLASS_NAMES]  # "Safe/" is safe/ on a case-insensitive disk (macOS, Windows)
    elsewhere = [p for p in list_audio_files(data_root)
                 if not any((data_root / p.relative_to(data_root).parts[0]).samefile(d) for d in class_dirs)]
    if elsewhere:
        print(f"warning: {len(elsewhere)} audio file(s) under {data_root} are outside "
              f"{' and '.join(f'{c}/' for c in CLASS_NAMES)}, e.g. {elsewhere[0]}, and are left out: only those two "
              "folders say a clip's class", file=sys.stderr)
    return found


def clip_duration(path: Path):
    """(seconds, None) if `path` decodes, else (None, reason); never raises for a bad file. A file
    that decodes but looks wrong (truncated, silent, clipped, ...) is named on stderr: it is labelled,
    and a listener should check it."""
    try:
        stats = AudioStats()
        seconds = len(load_audio(path, stats=stats)) / CFG.sample_rate
        for note in stats.warnings():
            tqdm.write(f"warning: {path}: {note}", file=sys.stderr)
        return seconds, None
    except HelmitError as e:
        return None, str(e)  # already "<path>: <what>"
    except Exception as e:  # batch work survives one bad file whatever the decoder throws
        return None, f"{path}: {type(e).__name__}: {e}"


def decode_all(paths: list, workers: int) -> list:
    """[(seconds or None, reason or None)] in the order of `paths`, with a progress bar.

    Threads rather than processes: libsndfile and soxr do the work outside the GIL, and threads
    avoid re-importing torch in every worker.
    """
    if workers <= 1:
        return [clip_duration(p) for p in tqdm(paths, desc="decode", unit="file")]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(tqdm(pool.map(clip_duration, paths), total=len(paths), desc="decode", unit="file"))


def read_manifest(manifest: Path) -> tuple:
    """({relative path: {column: value}}, columns present) from synth_dataset.py's manifest (or one saved
    from a spreadsheet: csv_rows reads past a byte-order mark and names the line a non-UTF-8 byte is on)."""
    rows, columns = {}, []
    for _, row in csv_rows(manifest, ["path"], "manifest not found", "expected the header synth_dataset.py writes"):
        if not rows:  # every row has the header's names as keys
            columns = [c for c in MANIFEST_COLUMNS if c in row]
        rows[normalise(row["path"])] = {c: row[c] for c in columns + ["label"] if c in row}
    return rows, columns


def normalise(rel: str) -> str:
    rel = (rel or "").strip().replace("\\", "/")
    return rel[2:] if rel.startswith("./") else rel


def build_rows(data_root: Path, clips: list, durations: list, manifest: dict, columns: list) -> list:
    """labels.csv rows, sorted by path, with manifest columns joined where the path matches."""
    rows = []
    for (path, label), (seconds, _) in zip(clips, durations):
        if seconds is None:
            continue
        rel = path.relative_to(data_root).as_posix()
        extra = manifest.get(rel, {})
        manifest_label = (extra.get("label") or "").strip()
        if manifest_label and manifest_label != str(label):
            print(f"warning: {rel}: manifest label {manifest_label!r} disagrees with its folder; "
                  f"using the folder's label {label}", file=sys.stderr)
        rows.append({"path": rel, "label": label, "duration_s": f"{seconds:.2f}",
                     **{c: extra.get(c, "") for c in columns}})
    return sorted(rows, key=lambda r: r["path"])


def warn_duplicates(data_root: Path, rows: list) -> int:
    """Warn about clips that are the same file under two names: as two rows they can land on both
    sides of a split, and a held-out clip the model trained on flatters every metric. Returns how
    many clips repeat another. Only files of a size some other file has are hashed."""
    by_size = {}
    for r in rows:
        by_size.setdefault((data_root / r["path"]).stat().st_size, []).append(r["path"])
    first, repeats = {}, []
    for paths in (p for p in by_size.values() if len(p) > 1):
        for rel in paths:
            digest = clip_digest(data_root / rel)
            if digest in first:
                repeats.append((rel, first[digest]))
            else:
                first[digest] = rel
    label_of = {r["path"]: r["label"] for r in rows}
    for rel, original in repeats[:5]:
        if label_of[rel] != label_of[original]:
            print(f"warning: {rel}: the same audio as {original}, byte for byte, but labelled otherwise: one label "
                  "is wrong; remove the wrong copy", file=sys.stderr)
        else:
            print(f"warning: {rel}: the same audio as {original}, byte for byte; as two clips they can land on both "
                  "sides of a split: keep one, or give both one value in a group column", file=sys.stderr)
    if len(repeats) > 5:
        print(f"warning: {len(repeats) - 5} more clip(s) repeat another", file=sys.stderr)
    return len(repeats)


def summarise(labels_csv: Path, rows: list, skipped: list, manifest_path, n_joined: int) -> str:
    lines = [f"wrote {labels_csv}: {len(rows)} clips"]
    for label, cls in enumerate(CLASS_NAMES):
        mine = [r for r in rows if r["label"] == label]
        seconds = sum(float(r["duration_s"]) for r in mine)
        lines.append(f"  {cls:<8} (label {label}): {len(mine):>6} clips, {seconds / 60:8.1f} min")
    if skipped:
        lines.append(f"  skipped {len(skipped)} undecodable file(s), named above")
    if manifest_path:
        lines.append(f"  joined {manifest_path.name} for {n_joined} of {len(rows)} clips")
    return "\n".join(lines)


def prep(data_root, labels_csv=None, manifest=None, workers: int = 2, overwrite: bool = False) -> tuple:
    """Scan, decode, join and write labels.csv; return (rows, skipped reasons)."""
    data_root = Path(data_root)
    labels_csv = Path(labels_csv) if labels_csv else data_root / "labels.csv"
    manifest = Path(manifest) if manifest else data_root / MANIFEST_NAME
    if not manifest.is_file():
        manifest = None
    refuse_to_overwrite(labels_csv, overwrite, inputs=[manifest])  # before decoding every clip
    clips = scan_classes(data_root)
    manifest_rows, columns = read_manifest(manifest) if manifest else ({}, [])  # a bad one stops us before decoding
    durations = decode_all([path for path, _ in clips], workers)
    skipped = [reason for _, reason in durations if reason]
    for reason in skipped:
        tqdm.write(f"warning: {reason}; left out of labels.csv", file=sys.stderr)
    decoded_labels = {label for (_, label), (seconds, _) in zip(clips, durations) if seconds is not None}
    for label, cls in enumerate(CLASS_NAMES):
        if label not in decoded_labels:
            raise HelmitError(f"{data_root / cls}: none of the audio files for class '{cls}' could "
                              "be decoded (see the warnings above)")
    rows = build_rows(data_root, clips, durations, manifest_rows, columns)
    warn_duplicates(data_root, rows)
    write_csv(labels_csv, rows, ["path", "label", "duration_s", *columns])
    n_joined = sum(r["path"] in manifest_rows for r in rows)
    print(summarise(labels_csv, rows, skipped, manifest, n_joined))
    return rows, skipped


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data_root", default=CFG.data_root,
                   help="folder holding one subfolder per class: " + ", ".join(CLASS_NAMES)
                        + " (default: %(default)s)")
    p.add_argument("--labels_csv", default=None,
                   help="where to write the labels (default: <data_root>/labels.csv); paths in it "
                        "stay relative to data_root")
    p.add_argument("--manifest", default=None,
                   help=f"synth_dataset.py manifest to join (default: <data_root>/{MANIFEST_NAME} "
                        "if it exists)")
    p.add_argument("--workers", type=int, default=2,
                   help="threads decoding files in parallel (default: %(default)s)")
    p.add_argument("--overwrite", action="store_true",
                   help="replace an existing labels.csv (hand edits in it are lost)")
    args = p.parse_args(argv)
    if args.workers < 1:
        p.error("--workers must be >= 1")
    if args.manifest and not Path(args.manifest).is_file():
        raise HelmitError(f"{args.manifest}: manifest not found")
    prep(args.data_root, args.labels_csv, args.manifest, args.workers, args.overwrite)
    return 0


if __name__ == "__main__":
    run_cli(main)
