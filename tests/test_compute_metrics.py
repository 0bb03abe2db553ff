"""compute_metrics.py: exact metric values on hand-made prediction CSVs, and the honesty checks."""
import subprocess
import sys
from pathlib import Path

import matplotlib.image
import numpy as np
import pytest

import compute_metrics as cm
from utils_io import HelmitError

SCRIPT = Path(cm.__file__).resolve()
HEADER = "path,label,pred,prob,prob_harmful,split"
# 3 harmful, 5 safe: tp 2, fn 1, tn 4, fp 1; harmful scores beat safe ones in 12 of 15 pairs
LABELS = [1, 1, 1, 0, 0, 0, 0, 0]
PREDS = [1, 1, 0, 0, 0, 0, 1, 0]
SCORES = [0.9, 0.8, 0.3, 0.1, 0.2, 0.4, 0.6, 0.35]


def rows_of(labels, preds, scores, split="test"):
    return [{"path": f"clip{i}.wav", "label": y, "pred": p, "prob_harmful": s, "split": split,
             "prob": s if p else 1 - s} for i, (y, p, s) in enumerate(zip(labels, preds, scores))]


def write_csv(path, rows, extra=()):
    """Write rows as a predictions CSV; `extra` names optional columns such as error, category."""
    columns = HEADER.split(",") + list(extra)
    lines = [",".join(columns)] + [",".join(str(r.get(c, "")) for c in columns) for r in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


def run_main(capsys, *argv):
    assert cm.main([str(a) for a in argv]) == 0
    return capsys.readouterr().out


def line_of(report, name):
    """The value after a report label, e.g. line_of(text, 'accuracy') -> '0.7500'."""
    hits = [ln.split(maxsplit=len(name.split()))[-1] for ln in report.splitlines()
            if ln.strip().startswith(name + " ")]
    assert hits, f"no '{name}' line in report:\n{report}"
    return hits[0]


def test_compute_metrics_exact_values():
    m = cm.compute_metrics(rows_of(LABELS, PREDS, SCORES))
    assert m["n"] == 8 and m["n_harmful"] == 3 and m["n_safe"] == 5
    assert m["confusion"] == [[4, 1], [1, 2]]  # rows true safe/harmful, cols predicted
    assert m["accuracy"] == pytest.approx(0.75)
    assert m["balanced_accuracy"] == pytest.approx((2 / 3 + 4 / 5) / 2)
    assert m["precision"] == pytest.approx(2 / 3)
    assert m["recall"] == pytest.approx(2 / 3)
    assert m["f1"] == pytest.approx(2 / 3)
    assert m["macro_f1"] == pytest.approx((2 / 3 + 0.8) / 2)
    assert m["roc_auc"] == pytest.approx(12 / 15)
    assert m["share_pred_harmful"] == pytest.approx(3 / 8)
    assert "per_category" not in m


def test_balanced_accuracy_comes_with_its_bootstrap_interval_and_the_step_of_one_clip(tmp_path, capsys):
    rng = np.random.default_rng(0)
    y = np.repeat([1, 0], [60, 40])
    pred = np.where(rng.random(100) < 0.88, y, 1 - y)  # about the demo's 0.88
    m = cm.compute_metrics(rows_of(y.tolist(), pred.tolist(), pred.astype(float).tolist()))
    low, high = m["balanced_accuracy_ci95"]
    assert low < m["balanced_accuracy"] < high and 0.08 < high - low < 0.2  # ~ +-1.96 * sd of 100 clips
    assert m["balanced_accuracy_ci95"] == cm.compute_metrics(rows_of(y.tolist(), pred.tolist(),
                                                                     pred.astype(float).tolist()))["balanced_accuracy_ci95"]
    big = cm.compute_metrics(rows_of(np.tile(y, 10).tolist(), np.tile(pred, 10).tolist(), np.tile(pred, 10).tolist()))
    assert big["balanced_accuracy_ci95"][1] - big["balanced_accuracy_ci95"][0] < (high - low) / 2  # 10x the clips
    note = cm._interval_note(m)
    assert note == f"(95% bootstrap interval {low:.3f}-{high:.3f}; one clip moves it by up to 0.013)"  # 1 / (2 * 40)
    assert "balanced_accuracy_ci95" not in cm.compute_metrics(rows_of([0, 0], [0, 1], [0.1, 0.7]))  # one class


def test_compute_metrics_one_class_has_no_auc():
    m = cm.compute_metrics(rows_of([0, 0, 0], [0, 1, 0], [0.1, 0.7, 0.2]))
    assert m["roc_auc"] is None
    assert m["confusion"] == [[2, 1], [0, 0]]
    assert m["balanced_accuracy"] == pytest.approx(2 / 3)  # recall of the one class present


def test_per_category_accuracy_and_flagged_share(tmp_path, capsys):
    rows = rows_of(LABELS, PREDS, SCORES)
    for r, cat in zip(rows, ["hate", "hate", "threat", "", "", "", "", ""]):
        r["category"] = cat
    per_cat = cm.compute_metrics(rows)["per_category"]
    assert per_cat["hate"] == {"n": 2, "accuracy": 1.0, "share_pred_harmful": 1.0}
    assert per_cat["threat"] == {"n": 1, "accuracy": 0.0, "share_pred_harmful": 0.0}
    assert per_cat["(none)"]["n"] == 5 and per_cat["(none)"]["share_pred_harmful"] == 0.2
    out = run_main(capsys, write_csv(tmp_path / "m_predictions.csv", rows, ["category"]),
                   "--output", tmp_path / "r.txt", "--no_plots")
    assert line_of(out, "hate").split() == ["2", "1.0000", "100.0%"]


def test_harm_named_counts_only_categories_the_model_names_and_reads_them_in_any_case(tmp_path, capsys):
    rows = rows_of([1, 1, 1, 1, 0], [1, 1, 1, 0, 0], [0.9, 0.8, 0.7, 0.3, 0.1])
    for r, cat, named in zip(rows, ["Threat ", "bullying", "Hate speech", "threat", ""],
                             ["threat", "harassment", "threat", "", ""]):
        r["category"], r["pred_category"] = cat, named
    out = run_main(capsys, write_csv(tmp_path / "t_predictions.csv", rows, ["category", "pred_category"]),
                   "--output", tmp_path / "r.txt", "--no_plots")
    # of the three caught: "Threat " is the model's threat (named right), bullying was named harassment,
    # and "hate speech" is no category the model can name, so it is left out of the naming score
    assert line_of(out, "harm named").startswith("0.5000")
    assert "(1 harmful clip(s) caught of categories the text model does not name, 'hate speech', are left out" in out
    assert line_of(out, "threat").split()[0] == "2"  # "Threat " and "threat" are one category


def test_report_values_and_file_match(tmp_path, capsys):
    csv_path = write_csv(tmp_path / "cnn_predictions.csv", rows_of(LABELS, PREDS, SCORES))
    out = run_main(capsys, csv_path, "--output", tmp_path / "out" / "metrics.txt", "--no_plots")
    text = (tmp_path / "out" / "metrics.txt").read_text()
    assert text.strip() in out
    assert "== cnn ==" in text
    assert line_of(text, "clips scored") == "8   (test 8)"
    assert line_of(text, "balanced accuracy").startswith("0.7333   (95% bootstrap interval ")
    assert line_of(text, "ROC-AUC") == "0.8000"
    assert line_of(text, "true safe").split() == ["4", "1"]
    assert line_of(text, "true harmful").split() == ["1", "2"]
    assert "collapsed" not in text


def test_training_clips_warned_and_excluded(tmp_path, capsys):
    # training clips are all right; counting them would lift accuracy from 0.75 to 0.875
    rows = rows_of(LABELS, PREDS, SCORES) + rows_of([1] * 4 + [0] * 4, [1] * 4 + [0] * 4,
                                                    [0.9] * 4 + [0.1] * 4, split="train")
    for i, r in enumerate(rows[8:]):
        r["path"] = f"train{i}.wav"
    csv_path = write_csv(tmp_path / "cnn_predictions.csv", rows)
    out = run_main(capsys, csv_path, "--output", tmp_path / "m.txt", "--no_plots")
    assert "warning: 8 of 16 scored clips were training clips (split=train); excluded" in out
    assert line_of(out, "clips scored") == "8   (test 8)"
    assert line_of(out, "accuracy") == "0.7500"
    assert "training clips (not held-out)" not in out

    out = run_main(capsys, csv_path, "--output", tmp_path / "m.txt", "--no_plots",
                   "--include_train", "--overwrite")
    held_out, train = out.split("-- training clips (not held-out) --")
    assert line_of(held_out, "accuracy") == "0.7500"
    assert line_of(train, "clips scored") == "8   (train 8)"
    assert line_of(train, "accuracy") == "1.0000"


def test_constant_predictor_collapse_warning(tmp_path, capsys):
    rows = rows_of([1, 1, 1, 0, 0, 0], [0] * 6, [0.3] * 6)
    out = run_main(capsys, write_csv(tmp_path / "flat_predictions.csv", rows),
                   "--output", tmp_path / "m.txt", "--no_plots")
    assert line_of(out, "balanced accuracy").startswith("0.5000   (95% bootstrap interval 0.500-0.500")
    assert line_of(out, "ROC-AUC") == "0.5000"
    assert line_of(out, "predicted harmful") == "0.0%   (0 of 6)"
    assert "warning: 100.0% of predictions are 'safe'" in out


def test_error_rows_counted_and_excluded(tmp_path, capsys):
    rows = rows_of(LABELS, PREDS, SCORES, split="val")
    rows += [{"path": "broken.wav", "split": "val", "error": "could not decode"},
             {"path": "empty.wav", "error": "silent clip"}]
    csv_path = write_csv(tmp_path / "cnn_predictions.csv", rows, ["error"])
    out = run_main(capsys, csv_path, "--output", tmp_path / "m.txt", "--no_plots")
    assert line_of(out, "unscored") == "2 clip(s) with an error, excluded"
    assert "broken.wav: could not decode" in out
    assert line_of(out, "clips scored") == "8   (val 8)"
    assert line_of(out, "accuracy") == "0.7500"


def test_a_predictions_csv_with_no_scored_clip_fails_the_run(tmp_path, capsys):
    empty = write_csv(tmp_path / "cnn_predictions.csv", [])
    assert cm.main([str(empty), "--output", str(tmp_path / "m.txt"), "--no_plots"]) == 1
    captured = capsys.readouterr()
    assert "no scored clips" in captured.out and "error: no scored clips for cnn" in captured.err


def test_all_split_labelled_unknown(tmp_path, capsys):
    csv_path = write_csv(tmp_path / "w_predictions.csv", rows_of(LABELS, PREDS, SCORES, "all"))
    out = run_main(capsys, csv_path, "--output", tmp_path / "m.txt", "--no_plots")
    assert line_of(out, "clips scored") == "8   (unknown split 8)"
    assert "note: split 'all' is an unknown split" in out


def test_shards_found_in_data_root_merged_with_duplicate_warning(tmp_path, capsys):
    rows = rows_of(LABELS, PREDS, SCORES)
    write_csv(tmp_path / "cnn_predictions.shard0of2.csv", rows[:5])
    write_csv(tmp_path / "cnn_predictions.shard1of2.csv", rows[4:])  # clip4 in both shards
    write_csv(tmp_path / "labels.csv", rows)  # not a predictions file: must be ignored
    out = run_main(capsys, "--data_root", tmp_path, "--no_plots")
    assert out.count("== ") == 1 and "== cnn ==" in out
    assert "warning: 1 clip(s) appear more than once" in out and "clip4.wav" in out
    assert line_of(out, "clips scored") == "8   (test 8)"
    assert (tmp_path / "model_metrics.txt").read_text().strip() in out


def test_names_and_merge(tmp_path, capsys):
    a = write_csv(tmp_path / "a.csv", rows_of(LABELS, PREDS, SCORES))
    b = write_csv(tmp_path / "b.csv", rows_of([1, 0], [1, 0], [0.9, 0.1]))
    out = run_main(capsys, a, b, "--names", "cnn,w2v", "--output", tmp_path / "m.txt",
                   "--no_plots")
    assert "== cnn ==" in out and "== w2v ==" in out
    rows = rows_of([1, 0], [1, 0], [0.9, 0.1])
    for r in rows:
        r["path"] = "other_" + r["path"]  # distinct clips, so --merge keeps all 10
    write_csv(b, rows)
    out = run_main(capsys, a, b, "--merge", "--names", "both", "--output", tmp_path / "m.txt",
                   "--no_plots", "--overwrite")
    assert out.count("== ") == 1 and line_of(out, "clips scored") == "10   (test 10)"


def test_no_held_out_rows_said_clearly(tmp_path, capsys):
    csv_path = write_csv(tmp_path / "t_predictions.csv", rows_of([1, 0], [1, 0], [0.9, 0.1],
                                                                  "train"))
    out = run_main(capsys, csv_path, "--output", tmp_path / "m.txt")
    assert "no held-out clips: none of the 2 scored clips" in out
    assert "balanced accuracy" not in out
    assert not list(tmp_path.glob("*.png"))


def test_plots_are_valid_pngs(tmp_path, capsys):
    write_csv(tmp_path / "cnn_predictions.csv", rows_of(LABELS, PREDS, SCORES))
    write_csv(tmp_path / "one_predictions.csv", rows_of([0, 0], [0, 1], [0.2, 0.7]))
    out = run_main(capsys, "--data_root", tmp_path)
    for kind in ("confusion", "roc", "pr"):
        png = tmp_path / f"cnn_{kind}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        height, width, _ = matplotlib.image.imread(png).shape
        assert height > 100 and width > 100
    # curves need both classes: the one-class model gets its confusion matrix only
    assert (tmp_path / "one_confusion.png").is_file()
    assert not (tmp_path / "one_roc.png").exists() and not (tmp_path / "one_pr.png").exists()
    assert "cnn_confusion.png, cnn_roc.png, cnn_pr.png" in out


@pytest.mark.parametrize("content, expected", [
    (HEADER + "\nclip.wav,1,yes,0.9,0.9,test\n", "bad.csv:2: pred 'yes' is not a number"),
    (HEADER + "\nok.wav,1,1,0.9,0.9,test\nclip.wav,1,1,0.9,high,val\n",
     "bad.csv:3: prob_harmful 'high' is not a number"),
    ("path,label,pred\nclip.wav,1,1\n", "bad.csv: missing column(s) prob, prob_harmful, split"),
    (None, "bad.csv: predictions file not found"),
])
def test_bad_input_one_line_error_exit_1(tmp_path, content, expected):
    if content is not None:
        (tmp_path / "bad.csv").write_text(content)
    result = subprocess.run([sys.executable, str(SCRIPT), "bad.csv", "--no_plots"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert result.stderr.startswith("error: ") and expected in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "data" / "model_metrics.txt").exists()


def test_test_split_is_the_headline_when_val_is_present(tmp_path):
    import compute_metrics as cm

    val = [{"path": f"v{i}.wav", "label": l, "pred": l, "prob": 0.9, "prob_harmful": 0.9 if l else 0.1,
            "split": "val"} for i, l in enumerate([0, 1, 0, 1])]
    test = [{"path": f"t{i}.wav", "label": l, "pred": 1, "prob": 0.6, "prob_harmful": 0.6, "split": "test"}
            for i, l in enumerate([0, 1, 0, 1])]
    model = {"rows": val + test, "sources": ["x.csv"], "duplicates": [], "unscored": []}
    text = "\n".join(cm.report_model("m", model, include_train=False, plot_dir=None))
    head, _, rest = text.partition("validation clips")
    assert "split=test" in head and "balanced accuracy   0.5000" in head  # the constant test predictor
    assert "balanced accuracy   1.0000" in rest  # the perfect val clips are reported apart


def test_validation_clips_alone_are_headlined_as_optimistic(tmp_path):
    val = rows_of(LABELS, PREDS, SCORES, split="val")
    model = {"rows": val, "sources": ["x.csv"], "duplicates": [], "unscored": []}
    text = "\n".join(cm.report_model("m", model, include_train=False, plot_dir=None))
    assert "-- held-out clips (no split=test clips: these include validation clips" in text and "optimistic" in text
    test = rows_of(LABELS, PREDS, SCORES, split="test")
    text = "\n".join(cm.report_model("m", dict(model, rows=test), include_train=False, plot_dir=None))
    assert "-- held-out clips --" in text and "optimistic" not in text


@pytest.mark.parametrize("shards, extra, message", [
    (["shard0of3", "shard2of3"], [], r"model 'cnn': shard\(s\) 1 of 3 missing \(found 2 of 3\), so their clips would "
                                     r"be left out; score them first \(infer_dataset.py --num_shards 3 --shard_index 1\)"),
    (["shard0of2", "shard1of2", "shard0of3", "shard1of3", "shard2of3"], [], r"model 'cnn': shards of 2 and 3 mixed"),
    (["shard0of2", "shard1of2"], ["cnn_predictions.csv"], r"cnn_predictions.csv: a whole predictions CSV of model "
                                                           r"'cnn' given with its shards"),
    (["shard0of2", "shard1of2", "shard2of2"], [], r"shard2of2.csv: shard 2 of 2 cannot exist"),
])
def test_incomplete_or_overlapping_shard_sets_are_refused(tmp_path, shards, extra, message):
    rows = rows_of(LABELS, PREDS, SCORES)
    for i, shard in enumerate(shards):
        write_csv(tmp_path / f"cnn_predictions.{shard}.csv", rows[i::len(shards)])
    for name in extra:
        write_csv(tmp_path / name, rows)
    with pytest.raises(HelmitError, match=message):
        cm.main(["--data_root", str(tmp_path), "--no_plots"])
    assert not (tmp_path / "model_metrics.txt").exists()


def test_the_same_shard_twice_is_refused(tmp_path):
    rows = rows_of(LABELS, PREDS, SCORES)
    paths = []
    for run in ("run1", "run2"):  # e.g. a job array re-run into another folder
        (tmp_path / run).mkdir()
        paths.append(write_csv(tmp_path / run / "cnn_predictions.shard0of2.csv", rows[0::2]))
    paths.append(write_csv(tmp_path / "run1" / "cnn_predictions.shard1of2.csv", rows[1::2]))
    with pytest.raises(HelmitError, match=r"run2/cnn_predictions.shard0of2.csv: shard 0 of 2 of model 'cnn' "
                                             r"given twice \(also .*run1/cnn_predictions.shard0of2.csv\)"):
        cm.main([*map(str, paths), "--output", str(tmp_path / "m.txt"), "--no_plots"])


def test_two_runs_with_one_file_name_are_not_scored_as_one(tmp_path, capsys):
    paths = []
    for run in ("run1", "run2"):  # two trainings compared, each scored into its own folder
        (tmp_path / run).mkdir()
        paths.append(write_csv(tmp_path / run / "cnn_predictions.csv", rows_of(LABELS, PREDS, SCORES)))
    with pytest.raises(HelmitError, match=r"model 'cnn': 2 predictions CSVs carry that name .*run1/cnn_predictions\.csv"
                                             r".*give --names to score them apart, or --merge"):
        cm.main([*map(str, paths), "--output", str(tmp_path / "m.txt"), "--no_plots"])
    out = run_main(capsys, *paths, "--names", "first,second", "--output", tmp_path / "m.txt", "--no_plots")
    assert "== first ==" in out and "== second ==" in out
    once = run_main(capsys, paths[0], paths[0], "--output", tmp_path / "m.txt", "--no_plots", "--overwrite")
    assert "duplicate" not in once.lower() and line_of(once, "clips scored") == "8   (test 8)"  # one file, read once


def test_an_output_that_is_a_directory_is_refused_before_any_plot(tmp_path):
    csv_path = write_csv(tmp_path / "cnn_predictions.csv", rows_of(LABELS, PREDS, SCORES))
    (tmp_path / "out").mkdir()
    with pytest.raises(HelmitError, match=r"out: is a directory; --output names the report file"):
        cm.main([str(csv_path), "--output", str(tmp_path / "out"), "--overwrite"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cnn_predictions.csv", "out"]  # no plots written


def test_a_complete_shard_set_scores_like_the_whole_csv(tmp_path, capsys):
    rows = rows_of(LABELS, PREDS, SCORES)
    whole = run_main(capsys, write_csv(tmp_path / "cnn_predictions.csv", rows), "--output", tmp_path / "a.txt",
                     "--no_plots")
    (tmp_path / "shards").mkdir()
    for i in range(3):
        write_csv(tmp_path / "shards" / f"cnn_predictions.shard{i}of3.csv", rows[i::3])
    merged = run_main(capsys, "--data_root", tmp_path / "shards", "--no_plots")
    body = lambda text: [ln for ln in text.splitlines() if "source" not in ln and not ln.startswith("wrote")]
    assert body(merged) == body(whole) and "shard2of3.csv" in merged


def test_the_fused_system_heads_the_report_and_names_still_pair_with_the_files(tmp_path, capsys):
    write_csv(tmp_path / "cnn_cv_predictions.csv", rows_of(LABELS, [0] * 8, SCORES))  # calls every clip safe
    write_csv(tmp_path / "fusion_cv_fused_predictions.csv", rows_of(LABELS, PREDS, SCORES))
    write_csv(tmp_path / "unfused_predictions.csv", rows_of(LABELS, PREDS, SCORES))
    out = run_main(capsys, "--data_root", tmp_path, "--no_plots")
    sections = [ln for ln in out.splitlines() if ln.startswith("== ")]
    assert sections == ["== fusion_cv_fused ==", "== cnn_cv ==", "== unfused =="]
    # --names pairs with the files in the order found (by name), whatever order the report takes
    out = run_main(capsys, "--data_root", tmp_path, "--no_plots", "--names", "cnn,fused,other", "--overwrite")
    cnn_section = out.split("== cnn ==")[1].split("== ")[0]
    assert line_of(cnn_section, "predicted harmful").startswith("0.0%")
    assert out.index("== fused ==") < out.index("== cnn ==")
