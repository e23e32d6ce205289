# for: instructors
# Two commands do everything on a fresh machine: `make book` and `make test`.
# Lines between "# for: instructors" and "# for: everyone" are left out of the
# student edition's Makefile (mlpcourse/course/submissions.py).
# for: everyone
# The course's commands: make install, make lab, make check, make test.
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed

## Create .venv from requirements.txt (once; again when requirements change).
.PHONY: install
install: $(INSTALLED)

$(INSTALLED): requirements.txt pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

# for: instructors
## MathJax 3, served by the site itself (offline, no CDN): the npm package's
## tex-chtml bundle, its fonts and extensions, in the git-ignored book/_static/mathjax.
MATHJAX := book/_static/mathjax/tex-chtml.js
MATHJAX_VERSION := 3.2.2

## The website, into _build/html (warnings are errors).
.PHONY: book
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

## Instructors: regenerate the exercise modules and notebooks from solutions/.
.PHONY: release
release: $(INSTALLED)
	$(VENV)/bin/mlpcourse release

## Instructors: the course as students receive it: make student-edition DIR=../class-repo
.PHONY: student-edition
student-edition: $(INSTALLED)
	$(VENV)/bin/mlpcourse student-edition $(DIR)

.PHONY: lint format
lint: $(INSTALLED)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(INSTALLED)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .
# for: everyone

# The graded tests check the reference where it exists (the instructor's
# repository) and your package in the student edition.
IMPL := $(if $(wildcard solutions/mlpcourse),reference,student)

## Every test (in the student edition: the graded checks of your package, as tests).
.PHONY: test
test: $(INSTALLED)
	$(PY) -m pytest --impl=$(IMPL) -n 2

## Your package's scoreboard: make check (every chapter) or make check CHAPTER=02
.PHONY: check
check: $(INSTALLED)
	$(VENV)/bin/mlpcourse check $(CHAPTER)

## Open the exercises in JupyterLab (as root too, as in many containers).
LAB_FLAGS ?=
.PHONY: lab
lab: $(INSTALLED)
	$(VENV)/bin/jupyter lab exercises $(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_FLAGS)

## nbgrader hand-in: a copy of your exercise modules beside a chapter's notebook,
## so that submitting the chapter's folder hands in both: make hand-in CHAPTER=02
.PHONY: hand-in
hand-in:
	@test -n "$(CHAPTER)" || { echo "make hand-in CHAPTER=02 (the chapter to hand in)"; exit 2; }
	@modules=$$(python3 -c 'from mlpcourse.chapters import EXERCISE_MODULES as m; print(*m)') \
	  && for d in exercises/$(CHAPTER)*/; do mkdir -p $$d/mlpcourse \
	  && for m in $$modules; do cp mlpcourse/$$m.py $$d/mlpcourse/ || exit 1; done \
	  && echo "copied mlpcourse/ into $$d: submit that folder"; done

.PHONY: clean
clean:
	rm -rf _build .pytest_cache .ruff_cache
