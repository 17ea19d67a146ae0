# Two commands from a fresh clone:  make run  (the bot)  ·  make test  (every test)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run chat test lint bench check clean

$(BIN)/citybot: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(BIN)/citybot

run: $(BIN)/citybot
	$(BIN)/citybot serve

chat: $(BIN)/citybot
	$(BIN)/citybot chat

test: $(BIN)/citybot
	$(BIN)/pytest -q

lint: $(BIN)/citybot
	$(BIN)/ruff check .
	$(BIN)/mypy bot intents knowledge handlers

check: $(BIN)/citybot
	$(BIN)/citybot kb check

bench: $(BIN)/citybot
	$(BIN)/python -m bench.accuracy --ablation
	$(BIN)/python -m bench.latency

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .mypy_cache .ruff_cache
