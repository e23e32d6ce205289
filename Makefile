# Two commands do everything on a fresh machine: `make book` and `make test`.
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed

.PHONY: install book test release lab lint format clean

install: $(INSTALLED)

$(INSTALLED): requirements.txt pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

## The website, into _build/html (warnings are errors).
book: $(INSTALLED)
	$(VENV)/bin/jupyter-book build . --warningiserror --nitpick --keep-going

## Every test: graded checks against the reference, stubs, drift, gradcheck, style.
test: $(INSTALLED)
	$(PY) -m pytest --impl=reference -n 2

## Instructors: regenerate the exercise modules from solutions/.
release: $(INSTALLED)
	$(VENV)/bin/mlpcourse release

## Students: open the exercises in JupyterLab.
lab: $(INSTALLED)
	$(VENV)/bin/jupyter lab

lint: $(INSTALLED)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(INSTALLED)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf _build .pytest_cache .ruff_cache
