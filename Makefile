# Set-up and everyday commands. `make demo` and `make test` install into .venv first.
PYTHON  ?= python3
VENV    ?= .venv
PORT    ?= 8501
TORCH_VERSION ?= 2.13.0
BIN     := $(VENV)/bin
# ARCHIVE=DIR names the folder of saved records; unset, ../shared/data/raw is used when present.
ARCHIVE_ENV := $(if $(ARCHIVE),EINTEL_ARCHIVE=$(abspath $(ARCHIVE)))

.PHONY: install demo build test system-deps browser-deps clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# The CPU build of PyTorch; sentence-transformers would otherwise pull a CUDA build of several GB.
	# TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu takes it from PyTorch's CPU index.
	$(BIN)/pip install --quiet torch==$(TORCH_VERSION) $(if $(TORCH_INDEX_URL),--index-url $(TORCH_INDEX_URL))
	$(BIN)/pip install --quiet -e '.[test,ocr]'
	touch $@

# Build the warehouse from ARCHIVE (or the built-in sample when it is absent) and serve the dashboard.
demo: install
	$(ARCHIVE_ENV) $(BIN)/eintel demo --port $(PORT)

# Build the warehouse and stop.
build: install
	$(ARCHIVE_ENV) $(BIN)/eintel demo --no-app

test: install
	$(ARCHIVE_ENV) $(BIN)/pytest

# Debian packages the tests need (root): Chromium and a CJK font for the browser tests,
# antiword to read .doc attachments, and LibreOffice Writer to write .doc test files.
system-deps:
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk antiword
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libreoffice-writer-nogui

browser-deps: system-deps

clean:
	rm -rf $(VENV) data/eintel.duckdb data/eintel.duckdb.wal data/eintel.duckdb.lock data/eintel.duckdb.next data/eintel.duckdb.next.wal
