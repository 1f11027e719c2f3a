#!/usr/bin/env bash
# The integrations, checked with the real tools (CI runs this after `cargo build --release`):
#   - the GitHub Action and the example workflows against GitHub's schemas (check-jsonschema);
#   - the action's run script on a temporary git repository (write mode: outputs, diff, body);
#   - SARIF output under Microsoft's SARIF multitool (`validate`: no error);
#   - the wheel maturin builds: installed in a fresh virtualenv, its `dopt` runs;
#   - the pre-commit hooks with pre-commit itself (`try-repo`) on a temporary git repository.
# Needs: pip install pre-commit check-jsonschema maturin; npm install @microsoft/sarif-multitool.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export PATH="$root/target/release:$PATH"
fixtures=$root/tests/format_fixtures/repo

echo "-- schemas"
check-jsonschema --builtin-schema vendor.github-actions action.yml
check-jsonschema --builtin-schema vendor.github-workflows examples/github/*.yml

echo "-- the action's run script, write mode, on a git repository"
mkdir -p "$work/repo" && cp -r "$fixtures"/. "$work/repo/"
( cd "$work/repo" && git init -q && git add -A && git -c user.email=ci@dopt -c user.name=ci commit -qm fixtures \
  && GITHUB_OUTPUT="$work/out" RUNNER_TEMP="$work" DOPT_MODE=write DOPT_FORMAT=markdown DOPT_PATHS=. bash "$root/scripts/action_run.sh" )
grep -qx 'exit-code=0' "$work/out" && grep -qx 'changed=true' "$work/out" || { cat "$work/out"; echo "action_run.sh: unexpected outputs"; exit 1; }
grep -q '^+RUN pip install --no-cache-dir' "$work/dopt-rewrite.diff" || { echo "action_run.sh: no diff"; exit 1; }
grep -q '^dopt rewrote 3 of 3 Dockerfiles' "$work/dopt-report.md" || { cat "$work/dopt-report.md"; echo "action_run.sh: no PR body"; exit 1; }
: > "$work/out2"
( cd "$work/repo" && git add -A && git -c user.email=ci@dopt -c user.name=ci commit -qm rewrite \
  && GITHUB_OUTPUT="$work/out2" RUNNER_TEMP="$work" DOPT_MODE=check DOPT_FORMAT=github bash "$root/scripts/action_run.sh" >/dev/null )
grep -qx 'exit-code=0' "$work/out2" && grep -qx 'changed=false' "$work/out2" || { cat "$work/out2"; echo "action_run.sh: a second run should find nothing to rewrite"; exit 1; }

echo "-- SARIF under the SARIF multitool"
multitool=${SARIF_MULTITOOL:-sarif-multitool}
( cd "$root/tests/format_fixtures" && dopt --format sarif repo > "$work/dopt.sarif" ) || true
( cd "$work/repo" && git checkout -q HEAD~1 && dopt --format sarif --unsafe-fixes . > "$work/dopt-unsafe.sarif" ) || true
for f in "$work/dopt.sarif" "$work/dopt-unsafe.sarif"; do
  "$multitool" validate "$f" -o "$work/validation.sarif" > "$work/validate.log" 2>&1 || { cat "$work/validate.log"; exit 1; }
  if grep -E ': error ' "$work/validate.log"; then echo "SARIF multitool: $f is not valid"; exit 1; fi
  grep -q 'Analysis completed successfully' "$work/validate.log" || { cat "$work/validate.log"; exit 1; }
  rm -f "$work/validation.sarif"
done

echo "-- the wheel"
maturin build --release --quiet -o "$work/wheels" 2>&1 | tail -1
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet "$work"/wheels/dopt_cli-*.whl
[ -x "$work/venv/bin/dopt" ] || { echo "the wheel put no dopt on the PATH"; exit 1; }
"$work/venv/bin/dopt" --version
set +e
printf 'FROM python:3.11-slim\nRUN pip install flask\n' | "$work/venv/bin/dopt" --check - > /dev/null
rc=$?
set -e
[ "$rc" -eq 1 ] || { echo "the installed dopt should exit 1 on a file to rewrite (exit $rc)"; exit 1; }

echo "-- pre-commit try-repo"
mkdir -p "$work/pc" && cd "$work/pc"
git init -q
printf 'FROM python:3.11-slim\nRUN pip install flask\n' > Dockerfile
printf 'FROM scratch\n' > notes.txt
git add -A && git -c user.email=ci@dopt -c user.name=ci commit -qm init
export PRE_COMMIT_HOME=${PRE_COMMIT_HOME:-$work/pre-commit-home}
# the hook's pip build reuses the compiled dependencies
export CARGO_TARGET_DIR=$root/target
set +e
pre-commit try-repo "$root" --all-files > "$work/pc1.log" 2>&1
rc1=$?
set -e
grep -q 'files were modified by this hook' "$work/pc1.log" && [ "$rc1" -eq 1 ] || { cat "$work/pc1.log"; echo "pre-commit: the dopt hook should rewrite the Dockerfile"; exit 1; }
grep -q -- '--no-cache-dir' Dockerfile || { echo "pre-commit: Dockerfile not rewritten"; exit 1; }
pre-commit try-repo "$root" --all-files > "$work/pc2.log" 2>&1 || { cat "$work/pc2.log"; echo "pre-commit: a second run should pass"; exit 1; }
grep -q 'dopt (check Dockerfiles).*Passed' "$work/pc2.log" || { cat "$work/pc2.log"; exit 1; }
echo "integrations: all checks passed"
