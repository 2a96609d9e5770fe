"""Sentence event typer: which PLOVER types a sentence reports (multi-label), as calibrated probabilities.

The model (pipelines/rules/models/event_typer/, trained by bench/train_event_model.py; see its card.md) is a
fine-tuned all-MiniLM-L6-v2 with mean pooling and one sigmoid per label, exported to ONNX with int8 dynamic
quantisation. It runs with onnxruntime + tokenizers only (no torch at run time).

Labels are the 15 PLOVER types as PLV_train uses them (CONCEDE and RETREAT merged as YIELD) plus NONE (a sentence
that reports no codeable event). Each label has its own calibrated probability (Platt scaling fitted on out-of-fold
predictions) and decision threshold (`thresholds`, chosen on held-out folds).

Input format (calibration.json "input"): "actor_marked" models read the sentence with every actor mention the
pipeline's own resolver found wrapped in marker brackets (`mark_actors`, the same function in training and at run
time: bench/train_event_model.py); "raw" (older models, the default when the key is absent) read the bare sentence.

Dynamic int8 quantisation computes activation ranges over the whole input tensor, so a batched call would make a
sentence's scores depend on its batch neighbours. Every sentence is therefore run on its own (no padding); the
results are batch-invariant by construction.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from pipelines.core.models import ModelLoadError, verify_model_dir

DEFAULT_DIR = Path(__file__).resolve().parents[2] / "rules" / "models" / "event_typer"
MARK_OPEN, MARK_CLOSE = "[", "]"
INPUT_FORMATS = ("raw", "actor_marked")


def mark_actors(sentence: str, actors) -> str:
    """The sentence with each actor mention (objects with .start/.end offsets into it) wrapped as "[ text ]".
    Overlapping mentions: the first (then longest) wins. Brackets already in the sentence stay as they are."""
    spans = sorted({(a.start, a.end) for a in actors if 0 <= a.start < a.end <= len(sentence)},
                   key=lambda x: (x[0], -x[1]))
    out, pos = [], 0
    for a0, a1 in spans:
        if a0 < pos:
            continue
        out += [sentence[pos:a0], MARK_OPEN, " ", sentence[a0:a1], " ", MARK_CLOSE]
        pos = a1
    out.append(sentence[pos:])
    return "".join(out)


class EventTyper:
    def __init__(self, model_dir: Path | None = None, threads: int = 1):
        self.model_dir = Path(model_dir) if model_dir is not None else DEFAULT_DIR
        manifest = verify_model_dir(self.model_dir)
        for need in ("model.onnx", "tokenizer.json", "calibration.json"):
            if need not in manifest["files"]:
                raise ModelLoadError(f"model manifest does not list {need}: {self.model_dir / 'manifest.json'}")
        try:
            cal = json.loads((self.model_dir / "calibration.json").read_text(encoding="utf-8"))
            self.labels: tuple[str, ...] = tuple(cal["labels"])
            self._a = np.array([cal["a"][l] for l in self.labels], dtype=np.float64)
            self._b = np.array([cal["b"][l] for l in self.labels], dtype=np.float64)
            self._thresholds = {l: float(cal["thresholds"][l]) for l in self.labels}
            self.input_format = str(cal.get("input", "raw"))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ModelLoadError(f"model calibration unreadable: {self.model_dir / 'calibration.json'}: "
                                 f"{exc}") from None
        if self.input_format not in INPUT_FORMATS:
            raise ModelLoadError(f"model calibration names an unknown input format {self.input_format!r}: "
                                 f"{self.model_dir / 'calibration.json'}")
        if "NONE" not in self.labels:
            raise ModelLoadError(f"model calibration has no NONE label: {self.model_dir / 'calibration.json'}")
        try:
            from tokenizers import Tokenizer
            self._tok = Tokenizer.from_file(str(self.model_dir / "tokenizer.json"))
            self._tok.no_padding()
        except Exception as exc:  # tokenizers raises its own exception type
            raise ModelLoadError(f"model tokenizer unreadable: {self.model_dir / 'tokenizer.json'}: {exc}") from None
        try:
            import onnxruntime as ort
            opts = ort.SessionOptions()
            opts.intra_op_num_threads = max(1, int(threads))
            opts.inter_op_num_threads = 1
            opts.log_severity_level = 3
            self._sess = ort.InferenceSession(str(self.model_dir / "model.onnx"), opts,
                                              providers=["CPUExecutionProvider"])
        except Exception as exc:
            raise ModelLoadError(f"model file unreadable: {self.model_dir / 'model.onnx'}: {exc}") from None
        n_out = self._sess.get_outputs()[0].shape[-1]
        if n_out != len(self.labels):
            raise ModelLoadError(f"model {self.model_dir / 'model.onnx'} has {n_out} outputs, calibration.json "
                                 f"lists {len(self.labels)} labels")
        self.version = f"event_typer@{manifest['files']['model.onnx'][:12]}"
        self.manifest = manifest

    @property
    def thresholds(self) -> dict[str, float]:
        return dict(self._thresholds)

    def prepare(self, sentence: str, actors) -> str:
        """The model's input text for a sentence and the actor mentions the pipeline found in it."""
        return mark_actors(sentence, actors) if self.input_format == "actor_marked" else sentence

    def logits(self, sentences: list[str]) -> np.ndarray:
        """Raw (uncalibrated) logits of already prepared inputs (`prepare`), one ONNX call per sentence
        (batch-invariant)."""
        out = np.zeros((len(sentences), len(self.labels)), dtype=np.float64)
        for i, s in enumerate(sentences):
            enc = self._tok.encode(s or "")
            ids = np.asarray([enc.ids], dtype=np.int64)
            mask = np.ones_like(ids)
            out[i] = self._sess.run(None, {"input_ids": ids, "attention_mask": mask})[0][0]
        return out

    def predict_proba(self, sentences: list[str]) -> np.ndarray:
        """(n, len(labels)) calibrated probabilities, independent per label (multi-label)."""
        z = self.logits(sentences)
        return 1.0 / (1.0 + np.exp(-(z * self._a + self._b)))

    def decide(self, probs: np.ndarray) -> list[list[str]]:
        """Label sets from probabilities: every type at or above its threshold; when none passes, NONE if NONE
        passes its threshold, else the single most probable type. A non-empty type set never includes NONE."""
        types = [j for j, l in enumerate(self.labels) if l != "NONE"]
        jn = self.labels.index("NONE")
        th = np.array([self._thresholds[self.labels[j]] for j in types])
        out = []
        for p in np.atleast_2d(probs):
            chosen = [self.labels[j] for j, t in zip(types, th) if p[j] >= t]
            if not chosen:
                best = self.labels[types[int(np.argmax(p[types]))]]
                chosen = ["NONE"] if p[jn] >= self._thresholds["NONE"] else [best]
            out.append(chosen)
        return out

    def predict(self, sentences: list[str]) -> list[list[str]]:
        return self.decide(self.predict_proba(sentences))
