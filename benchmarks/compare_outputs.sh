#!/usr/bin/env bash
# Before/after check for a refactor: run the whole pipeline afresh on the demo and the test fixtures with
# the code of CODE_ROOT, render docs/ and export every format into OUT.  Run it once with the old code and
# once with the new, then compare:
#   diff -r -x audio.wav -x .media.sha256 -x .audio.source -x .lock OLD/rec NEW/rec   (artefacts, byte for byte)
#   diff -r OLD/exports NEW/exports                                                    (downloads, byte for byte)
#   benchmarks/compare_docs.sh OLD/docs NEW/docs                                       (pages, up to whitespace)
# Usage: benchmarks/compare_outputs.sh CODE_ROOT OUT   (PY: the Python with rapporteur's dependencies, default .venv/bin/python)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
ROOT=$(readlink -f "$1"); OUT=$2; PY=$(readlink -f "${PY:-$here/.venv/bin/python}")
rm -rf "$OUT"; mkdir -p "$OUT/rec"
for src in "$here/recordings/demo-ai-governance-roundtable" "$here/tests/fixtures/three-speakers" "$here/recordings/igf2023-ws73"; do
  id=$(basename "$src"); mkdir -p "$OUT/rec/$id"
  for f in session.yaml recording.ogg recording.wav captions.txt corrections.yaml; do [ -f "$src/$f" ] && cp "$src/$f" "$OUT/rec/$id/"; done
done
cd "$OUT"
export PYTHONPATH="$ROOT/scripts"
"$PY" -m rapporteur.cli run --quiet rec/ > run.log 2>&1 || true
cp -r "$ROOT/docs" docs; rm -rf docs/sessions docs/speakers docs/index.md
"$PY" -m rapporteur.cli render --recordings rec --docs docs > render.log 2>&1
mkdir -p exports
for d in rec/*/; do id=$(basename "$d"); [ -f "$d/turns.json" ] || continue
  for fmt in vtt srt txt json rttm; do "$PY" -m rapporteur.cli export "$d" -f $fmt -o "exports/$id.$fmt"; done
done
echo "outputs of $ROOT in $OUT"
