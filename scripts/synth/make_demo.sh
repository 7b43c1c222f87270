#!/bin/sh
# Re-render the synthetic meetings from their scripts (espeak-ng + ffmpeg needed).
#
#   scripts/synth/make_demo.sh            # demo session + test fixture (both committed)
#   scripts/synth/make_demo.sh eval       # held-out evaluation meeting into .build/eval/ (not committed)
#   scripts/synth/make_demo.sh all        # all three
#
# PYTHON overrides the interpreter (default: python3 with the rapporteur package installed).
set -eu
cd "$(dirname "$0")/../.."
PYTHON="${PYTHON:-python3}"
synth() { "$PYTHON" -m rapporteur.eval.synth "$@"; }

target="${1:-committed}"
case "$target" in
  committed|demo|fixture|eval|all) ;;
  *) echo "usage: $0 [committed|demo|fixture|eval|all]" >&2; exit 2 ;;
esac
if [ "$target" = committed ] || [ "$target" = demo ] || [ "$target" = all ]; then
  synth scripts/synth/demo.yaml recordings/demo-ai-governance-roundtable
fi
if [ "$target" = committed ] || [ "$target" = fixture ] || [ "$target" = all ]; then
  synth scripts/synth/fixture-3speakers.yaml tests/fixtures/three-speakers
fi
if [ "$target" = eval ] || [ "$target" = all ]; then
  synth scripts/synth/eval-3speakers.yaml .build/eval/eval-3speakers
fi
