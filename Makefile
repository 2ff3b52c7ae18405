# Two commands do all set-up: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8501

.PHONY: run test lint typecheck docs pytest bench clean

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	test -x $(BIN)/uv || $(BIN)/python -m pip install -q --disable-pip-version-check uv==0.13.9
	UV_PYTHON_DOWNLOADS=never $(BIN)/uv pip install -q -p $(BIN)/python -r requirements.lock
	UV_PYTHON_DOWNLOADS=never $(BIN)/uv pip install -q -p $(BIN)/python --no-deps -e .
	touch $(STAMP)

run: $(STAMP)
	mkdir -p data
	CLV_DATA_DIR=$${CLV_DATA_DIR:-./data} $(BIN)/clv app --port $(PORT)

lint: $(STAMP)
	$(BIN)/ruff check src tests bench app.py docs/hooks
	$(BIN)/ruff format --check src tests bench app.py docs/hooks

typecheck: $(STAMP)
	$(BIN)/mypy src/clv

# The documentation site (mkdocs.yml, docs/) into site/; --strict turns every warning (a broken link, a docstring
# mkdocstrings cannot read) into a failure. The CLI reference page runs the commands' --help (docs/hooks/cli_help.py).
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

pytest: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS); rc=$$?; if [ $$rc -eq 5 ]; then echo "pytest collected no tests"; exit 0; fi; exit $$rc

test: lint typecheck docs pytest

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache site
