# Clientela: `make demo` runs the demo business (`make demo PORT=8001` on another port),
# `make test` runs the linters, the type check (mypy) and every test.
PYTHON ?= python3
PORT ?= 8000
UV_VERSION := 0.13.8
UV := .tools/bin/uv
VENV := .venv
BIN := $(VENV)/bin
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: install demo serve test test-fast lint format messages clean

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet uv==$(UV_VERSION)

# The catalogs are compiled here too: a pulled change to a .po file is in the next run.
# So is the bytecode: a command starts in half the time where Python may not write it
# (PYTHONDONTWRITEBYTECODE, a read-only install).
$(VENV)/.installed: $(UV) pyproject.toml uv.lock $(wildcard clientela/locale/*/LC_MESSAGES/django.po)
	$(UV) sync --frozen --quiet --compile-bytecode
	$(BIN)/python -m compileall -q -j 0 clientela
	$(BIN)/python manage.py compilemessages --ignore=.venv --ignore=.tools -v 0
	touch $@

install: $(VENV)/.installed

# The demo's e-mail is signed by its bakery, unless the sender's name is set.
demo: export CLIENTELA_EMAIL_FROM_NAME ?= Panadería La Espiga
demo: install
	$(BIN)/clientela migrate --no-input -v 0
	$(BIN)/clientela demo --keep --port $(PORT)
	$(BIN)/clientela serve --host 127.0.0.1 --port $(PORT)

serve: install
	$(BIN)/clientela serve

test: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest -n auto $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

messages: install
	$(BIN)/python manage.py makemessages -l es -l ru --ignore=.venv --ignore=.tools --no-obsolete
	$(BIN)/python manage.py compilemessages --ignore=.venv --ignore=.tools

clean:
	rm -rf $(VENV) .tools
