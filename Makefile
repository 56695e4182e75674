# Two commands do all set-up on a fresh Debian 12 machine: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# One OpenMP thread per Tesseract call: parallelism comes from processes and requests instead.
export OMP_THREAD_LIMIT := 1

# Tesseract with Debian's Vietnamese data: the engine's OCR.
SYSTEM_PACKAGES := tesseract-ocr tesseract-ocr-vie tesseract-ocr-script-viet python3-venv
# Tests also draw synthetic certificates (fonts covering Vietnamese) and drive a real browser.
TEST_SYSTEM_PACKAGES := chromium fonts-dejavu-core fonts-liberation2 fonts-freefont-ttf \
	fonts-noto-mono fonts-noto-core fonts-croscore fonts-courier-prime fonts-texgyre

.PHONY: run test system-deps test-system-deps deps dev-deps train-deps migrate api worker bench clean

run: system-deps deps
	$(PY) -m services.launcher

test: system-deps test-system-deps dev-deps
	$(PY) -m pytest

system-deps:
	@tools/install_system_packages.sh $(SYSTEM_PACKAGES)

test-system-deps:
	@tools/install_system_packages.sh $(TEST_SYSTEM_PACKAGES)

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(VENV)/.deps: requirements.txt | $(VENV)/bin/python
	$(PY) -m pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev-deps: requirements.txt requirements-dev.txt | $(VENV)/bin/python
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $(VENV)/.deps $@

deps: $(VENV)/.deps

dev-deps: $(VENV)/.dev-deps

# Training the recogniser (not part of run or test): PyTorch's CPU build, and the fonts of the
# training and held-out pools (tools/synth/fonts.py: TRAINING_FONT_PACKAGES).
train-deps: system-deps test-system-deps dev-deps
	@tools/install_system_packages.sh $$($(PY) -W ignore::RuntimeWarning -m tools.synth.fonts --training-packages)
	$(PY) -m pip install -q -r requirements-train.txt

migrate: deps
	$(PY) -m db.migrate upgrade

api: system-deps deps
	$(PY) -m services.api

worker: system-deps deps
	$(PY) -m services.tasks.worker

clean:
	rm -rf $(VENV) .pytest_cache test-artifacts
