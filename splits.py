"""Which clips train, validate and test: stratified splits and K folds of a labels.csv's rows, with
groups (a speaker, a conversation) kept whole on one side, and the built-in corpus's holdout=1 clips
as the test split. No torch: fusion.py's folds come from here too.
"""
import math
import sys
import warnings

import numpy as np

from config import CLASS_NAMES
from utils_io import HelmitError, shared_size_digests


SAME_AUDIO = "_same_audio"  # the group column same_audio_groups adds: a labels.csv never has it
CLIP_DIGEST = "_clip_digest"  # the utils_io.clip_digest same_audio_groups found for a row


def same_audio_groups(rows, group_column):
    """The group column to split `rows` by so that byte-identical clips stay on one side.

    A copy of a clip under another name, in training and in the held-out fold, lets a model score
    what it learned from (a walkthrough found 5 of 7 copied clips across folds). When no two clips
    share their bytes this is `group_column` unchanged; otherwise each row gets SAME_AUDIO, joining
    the groups of `group_column` (a row without one is its own) with every set of identical clips.
    The same audio under both labels is refused. Only files of a size shared with another are hashed,
    and a row hashed here keeps its utils_io.clip_digest under CLIP_DIGEST (train.py records it)."""
    digests, errors = shared_size_digests([r["abspath"] for r in rows])
    if errors:  # the first file that could not be read
        i, e = min(errors.items())
        raise HelmitError(f"{rows[i].get('labels_row', rows[i]['path'])}: {rows[i]['abspath']}: cannot read "
                          f"({e.strerror or e})")
    for r, d in zip(rows, digests):
        if d:
            r[CLIP_DIGEST] = d
    joined = copy_groups(rows, digests, group_ids(rows, group_column))
    if joined is None:
        return group_column
    for r, g in zip(rows, joined):
        r[SAME_AUDIO] = g
    return SAME_AUDIO


def copy_groups(rows, digests, groups=None):
    """Group ids joining `groups` (one per row, or None) with every set of rows whose `digests` (one
    per row, None when unknown) are equal, or None when no two rows share a digest. The same audio
    under two labels is refused naming both rows, and the copies found are named in a warning."""
    from collections import defaultdict

    by_digest = defaultdict(list)
    for i, d in enumerate(digests):
        if d is not None:
            by_digest[d].append(i)
    copies = [idx for idx in by_digest.values() if len(idx) > 1]
    if not copies:
        return None
    for idx in copies:
        other = next((j for j in idx if int(rows[j]["label"]) != int(rows[idx[0]]["label"])), None)
        if other is not None:
            a, b = rows[idx[0]], rows[other]
            where_a, where_b = (r.get("labels_row") or r.get("where") for r in (a, b))  # labels.csv, or a predictions CSV
            raise HelmitError(f"{where_b or b['path']}: {b['path']} is the same audio as {a['path']} "
                              f"({where_a or 'another row'}) but labelled {b['label']} here and "
                              f"{a['label']} there; one label is wrong: keep one row")
    parent = list(range(len(rows)))

    def root(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    members = defaultdict(list)  # the given groups (a row without one is alone)
    for i, g in enumerate(groups if groups is not None else []):
        members[g].append(i)
    for idx in copies + list(members.values()):
        for j in idx[1:]:
            parent[root(j)] = root(idx[0])
    n = sum(len(idx) for idx in copies)
    print(f"warning: {n} clips are byte-identical copies of another ({len(copies)} set(s), e.g. {rows[copies[0][0]]['path']} "
          f"and {rows[copies[0][1]]['path']}); each set is kept on one side of every split", file=sys.stderr)
    return [f"g{root(i)}" for i in range(len(rows))]


def group_words(group_column):
    """How messages name the groups of `group_column`: SAME_AUDIO is no column of the user's."""
    if group_column == SAME_AUDIO:
        return "the groups kept whole (byte-identical copies of a clip, and the group column's if any)"
    return f"group column '{group_column}'"


def group_name(row, group_column):
    """The row's value of `group_column`, "" for none. Stripped: "SPK01 " from a spreadsheet is the
    speaker of "SPK01", and kept apart it would straddle folds."""
    return str(row.get(group_column) or "").strip()


def group_ids(rows, group_column):
    """One id per row from `group_column` (rows with an empty value are their own group), or None."""
    if not group_column:
        return None
    return [group_name(r, group_column) or f"__row{i}" for i, r in enumerate(rows)]


def warn_case_variants(rows, group_column):
    """Warn when two groups' names differ only in case ('spk01', 'SPK01'): kept apart, one speaker
    would sit on both sides of a split. They may be two speakers, so they are not joined."""
    from collections import defaultdict

    spellings = defaultdict(set)
    for g in group_ids(rows, group_column) or []:
        spellings[g.casefold()].add(g)
    clashes = [sorted(v) for v in spellings.values() if len(v) > 1]
    if clashes:
        print(f"warning: {len(clashes)} name(s) of column '{group_column}' are spelled in more than one case, e.g. "
              f"{' and '.join(repr(g) for g in clashes[0])}; they are kept as different groups: if they are one "
              "speaker or conversation, write them alike", file=sys.stderr)


def stratified_folds(rows, k, seed, group_column=None):
    """K (train indices, held-out indices) pairs, stratified by label; groups never straddle folds."""
    labels = np.array([r["label"] for r in rows])
    for name, label in zip(CLASS_NAMES, (0, 1)):
        if (labels == label).sum() < k:
            raise HelmitError(f"class '{name}' has {(labels == label).sum()} clip(s); {k} folds need at least {k}")
    groups = group_ids(rows, group_column)
    if groups is None:
        from sklearn.model_selection import StratifiedKFold  # here: ~1.9 s to import, which --help and refusals skip

        return list(StratifiedKFold(k, shuffle=True, random_state=seed).split(labels, labels))
    if len(set(groups)) < k:
        raise HelmitError(f"{group_words(group_column)}: {len(set(groups))} distinct groups; {k} folds need at least {k}")
    folds = group_folds(labels, groups, k, seed)
    missing = one_class_fold(labels, [held_out for _, held_out in folds])
    if missing:
        f, name = missing
        n = len({groups[i] for i in np.flatnonzero(labels == CLASS_NAMES.index(name))})
        raise HelmitError(f"fold {f + 1} of {k} holds no '{name}' clips ({n} group(s) of {group_words(group_column)} "
                          "hold all of them, and groups stay whole); use fewer --folds, or more groups")
    return folds


def one_class_fold(labels, held_out):
    """(index, class name) of the first held-out set (indices or a mask into `labels`) that lacks a
    class, else None: that fold's balanced accuracy would be one class's recall."""
    for f, idx in enumerate(held_out):
        for name, label in zip(CLASS_NAMES, (0, 1)):
            if not (np.asarray(labels)[idx] == label).any():
                return f, name
    return None


def group_folds(labels, groups, k, seed):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "least populated class ...": the callers check the folds
        from sklearn.model_selection import StratifiedGroupKFold

        return list(StratifiedGroupKFold(k, shuffle=True, random_state=seed).split(labels, labels, groups))


def split_rows(rows, val_fraction, seed, use_holdout=True, group_column=None):
    """Stratified train/val split; clips marked holdout=1 (built-in corpus) become a test split.

    With a group column, whole groups go to validation (the same speaker on both sides would
    make validation look better than new speakers will).
    """
    is_test = [use_holdout and str(r.get("holdout", "0")).strip() == "1" for r in rows]
    pool = [r for r, t in zip(rows, is_test) if not t]
    test = [r for r, t in zip(rows, is_test) if t]
    if test and group_column:  # holdout=1 decides the test split; a group it cuts through is named
        straddle = sorted(({group_name(r, group_column) for r in test} & {group_name(r, group_column) for r in pool})
                          - {""})
        if straddle:
            example = (f"'{straddle[0]}'" if group_column != SAME_AUDIO  # a value of the user's, else an id of ours
                       else "the group of " + next(r["path"] for r in test if group_name(r, group_column) == straddle[0]))
            print(f"warning: {len(straddle)} group(s) of {group_words(group_column)} have clips both in the test split "
                  f"(holdout=1) and outside it, e.g. {example}: the test clips of those groups are not "
                  "new to the model", file=sys.stderr)
    for name, label in zip(CLASS_NAMES, (0, 1)):
        count = sum(r["label"] == label for r in pool)
        if count < 2:
            raise HelmitError(f"class '{name}' has {count} training clip(s); need at least 2 per class "
                              "(a single-class dataset cannot train a classifier)")
    if not 0 < val_fraction < 1:
        raise HelmitError(f"--val_fraction {val_fraction} must be between 0 and 1")
    n_val = math.ceil(val_fraction * len(pool))
    if n_val < 2 or len(pool) - n_val < 2:
        raise HelmitError(f"{len(pool)} clips with --val_fraction {val_fraction} leave {n_val} for validation and "
                          f"{len(pool) - n_val} for training; each needs at least one clip per class")
    if group_ids(pool, group_column) is not None:
        # whole groups to validation: one fold of k, so the share is about 1/k, not val_fraction exactly
        k = max(2, round(1 / val_fraction))
        n_groups = len(set(group_ids(pool, group_column)))
        if n_groups < k:
            raise HelmitError(f"{group_words(group_column)}: {n_groups} distinct groups; a validation split of "
                              f"about {1 / k:.0%} by whole groups needs at least {k} (a larger --val_fraction needs "
                              "fewer, or give more groups)")
        labels = np.array([r["label"] for r in pool])
        for train_idx, val_idx in group_folds(labels, group_ids(pool, group_column), k, seed):
            # the first fold whose both sides hold both classes: one class in validation picks the
            # epoch and threshold blind
            if len(set(labels[val_idx])) == 2 and len(set(labels[train_idx])) == 2:
                return [pool[i] for i in train_idx], [pool[i] for i in val_idx], test
        raise HelmitError(f"no validation split of whole groups ({group_words(group_column)}) holds both classes with "
                          "both classes left to train on: one class's clips are in too few groups; give more groups")
    from sklearn.model_selection import train_test_split

    train, val = train_test_split(pool, test_size=n_val, random_state=seed, stratify=[r["label"] for r in pool])
    both_classes_in(val, train)
    both_classes_in(train, val)
    return train, val, test


def both_classes_in(side, other):
    """Give `side` at least one clip of each class, in place. Stratified rounding gives a rare class
    none (2 harmful among 12 clips, 3 to validation: 0.5 rounds to 0), and a validation split of
    one class picks the epoch and threshold blind. Swaps a clip of the missing class from `other`
    (which holds all of that class, two or more) for one of `side`'s commonest class."""
    for label in (0, 1):
        if not any(r["label"] == label for r in side):
            common = max((0, 1), key=lambda c: sum(r["label"] == c for r in side))
            give, take = (next(i for i, r in enumerate(rows) if r["label"] == c)
                          for rows, c in ((other, label), (side, common)))
            side[take], other[give] = other[give], side[take]
