#!/bin/sh
# deploy/run_replicas.sh N [LISTEN]: N `streamlit run app.py` replicas behind nginx (cookie affinity) on LISTEN
# (default 127.0.0.1:8080). Ctrl-C stops everything. PYTHON picks the interpreter (default: python3).
cd "$(dirname "$0")/.." || exit 1
exec "${PYTHON:-python3}" deploy/replicas.py "${1:-2}" --listen "${2:-127.0.0.1:8080}"
