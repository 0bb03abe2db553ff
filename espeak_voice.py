"""espeak-ng speech, the only synthesizer Helmit trains with: the built-in corpus (synth_dataset.py)
and the spoken text (speak_text.py) both speak through here.

The espeakng-loader wheel ships libespeak-ng and its data but no executable, so we call the
library directly: one short C call per sentence (~5 ms) instead of a process per sentence.
"""
import ctypes

import numpy as np

from utils_io import HelmitError

AUDIO_OUTPUT_SYNCHRONOUS, POS_CHARACTER, CHARS_UTF8 = 2, 1, 1
ESPEAK_RATE, ESPEAK_PITCH, ESPEAK_RANGE = 1, 3, 4
_SYNTH_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)
_ESPEAK = {}


def espeak():
    """Load and initialise libespeak-ng once per process; returns {lib, sr, chunks}."""
    if not _ESPEAK:
        try:
            import espeakng_loader

            lib = ctypes.CDLL(espeakng_loader.get_library_path())
            data_path = espeakng_loader.get_data_path()
        except (ImportError, OSError, RuntimeError) as e:
            raise HelmitError(f"espeak-ng unavailable ({e}); pip install espeakng-loader") from None
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_Synth.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int,
                                     ctypes.c_uint, ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p]
        sr = lib.espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, data_path.encode(), 0)
        if sr <= 0:
            raise HelmitError(f"{data_path}: espeak-ng failed to initialise")
        chunks = []

        def on_audio(wav, n, _events):  # called from inside espeak_Synth with each block of samples
            if n > 0:
                chunks.append(np.ctypeslib.as_array(wav, shape=(n,)).copy())
            return 0

        callback = _SYNTH_CALLBACK(on_audio)
        lib.espeak_SetSynthCallback(callback)
        _ESPEAK.update(lib=lib, sr=sr, chunks=chunks, callback=callback)  # keep callback alive
    return _ESPEAK


def speak(text, speaker):
    """float32 speech at espeak's native rate (22.05 kHz) for one turn."""
    lib, chunks = espeak()["lib"], espeak()["chunks"]
    chunks.clear()
    if lib.espeak_SetVoiceByName(speaker["voice"].encode()) != 0:
        raise HelmitError(f"espeak-ng has no voice {speaker['voice']!r}")
    for param, value in ((ESPEAK_RATE, speaker["rate"]), (ESPEAK_PITCH, speaker["pitch"]),
                         (ESPEAK_RANGE, speaker["range"])):
        lib.espeak_SetParameter(param, value, 0)
    data = text.encode("utf-8")
    if lib.espeak_Synth(data, len(data) + 1, 0, POS_CHARACTER, 0, CHARS_UTF8, None, None) != 0 or not chunks:
        raise HelmitError(f"espeak-ng failed to speak {text!r}")
    return np.concatenate(chunks).astype(np.float32) / 32768.0


def set_seed(seed):
    """Seed espeak-ng's own random generator. Breathy variants (f2, f3, f5, victor) draw noise from
    it and come out different on every run unless it is seeded: seed it per clip."""
    espeak()["lib"].espeak_ng_SetRandSeed(ctypes.c_long(int(seed)))
