# Two commands do everything on a fresh machine: `make book` and `make test`.
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed

.PHONY: install book test release student-edition lab lint format clean

install: $(INSTALLED)

$(INSTALLED): requirements.txt pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

## MathJax 3, served by the site itself (offline, no CDN): the npm package's
## tex-chtml bundle, its fonts and extensions, in the git-ignored book/_static/mathjax.
MATHJAX := book/_static/mathjax/tex-chtml.js
MATHJAX_VERSION := 3.2.2

## The website, into _build/html (warnings are errors).
book: $(INSTALLED) $(MATHJAX)
	$(VENV)/bin/jupyter-book build . --warningiserror --nitpick --keep-going

$(MATHJAX):
	rm -rf book/_static/mathjax && mkdir -p book/_static/mathjax
	tmp=$$(mktemp -d) && (cd $$tmp && npm pack --silent mathjax@$(MATHJAX_VERSION) >/dev/null) \
	  && tar -xzf $$tmp/mathjax-$(MATHJAX_VERSION).tgz -C book/_static/mathjax --strip-components=2 \
	     package/es5/tex-chtml.js package/es5/input package/es5/output/chtml package/es5/ui \
	     package/es5/a11y package/es5/adaptors \
	  && tar -xzf $$tmp/mathjax-$(MATHJAX_VERSION).tgz -C book/_static/mathjax --strip-components=1 \
	     package/LICENSE \
	  && rm -rf $$tmp

# The graded tests check the reference where it exists (the instructor's
# repository) and your package in the student edition.
IMPL := $(if $(wildcard solutions/mlpcourse),reference,student)

## Every test: graded checks, stubs, drift, gradcheck, grader, notebooks, book, style.
test: $(INSTALLED)
	$(PY) -m pytest --impl=$(IMPL) -n 2

## Instructors: regenerate the exercise modules and notebooks from solutions/.
release: $(INSTALLED)
	$(VENV)/bin/mlpcourse release

## Instructors: the course as students receive it: make student-edition DIR=../class-repo
student-edition: $(INSTALLED)
	$(VENV)/bin/mlpcourse student-edition $(DIR)

## Students: open the exercises in JupyterLab.
lab: $(INSTALLED)
	$(VENV)/bin/jupyter lab exercises

lint: $(INSTALLED)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(INSTALLED)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf _build .pytest_cache .ruff_cache
