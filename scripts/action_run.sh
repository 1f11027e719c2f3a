#!/usr/bin/env bash
# The "Run dopt" step of action.yml: inputs come in DOPT_* variables (never pasted into the
# script), results go to $GITHUB_OUTPUT. CI runs it outside GitHub with a temporary
# GITHUB_OUTPUT to check it.
set -uo pipefail
mode=${DOPT_MODE:-check}
format=${DOPT_FORMAT:-github}
report=${DOPT_REPORT:-}
out=${GITHUB_OUTPUT:-/dev/stdout}

args=()
case "$mode" in
  check) args+=(--check) ;;
  diff) args+=(--diff) ;;
  write) args+=(--write) ;;
  report) ;;
  *) echo "dopt action: unknown mode '$mode' (check, report, diff, write)" >&2; exit 2 ;;
esac
# --diff prints the diff itself; the other modes print the report
[ "$mode" != diff ] && args+=(--format "$format")
[ -n "${DOPT_PRESET:-}" ] && args+=(--preset "$DOPT_PRESET")
[ "${DOPT_UNSAFE_FIXES:-false}" = true ] && args+=(--unsafe-fixes)
if [ -n "${DOPT_ARGS:-}" ]; then
  read -r -a extra <<< "$DOPT_ARGS"
  args+=("${extra[@]}")
fi
read -r -d '' -a paths <<< "${DOPT_PATHS:-.}"
[ ${#paths[@]} -eq 0 ] && paths=(.)

# reports go outside the checkout, so that they never count as changes of the rewrite
tmp=${RUNNER_TEMP:-$(mktemp -d)}
if [ -z "$report" ] && [ "$format" != github ] && [ "$format" != text ]; then
  case "$format" in
    sarif) report=$tmp/dopt-report.sarif ;;
    markdown) report=$tmp/dopt-report.md ;;
    *) report="$tmp/dopt-report.$format" ;;
  esac
fi
[ "$mode" = diff ] && [ -z "${DOPT_REPORT:-}" ] && report=$tmp/dopt.diff

if [ -n "$report" ]; then
  dopt "${args[@]}" "${paths[@]}" > "$report"
  rc=$?
else
  dopt "${args[@]}" "${paths[@]}"
  rc=$?
fi

changed=false
diff=""
if [ "$mode" = write ]; then
  # what the rewrite changed, for a pull-request step
  diff=$tmp/dopt-rewrite.diff
  if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git diff -- "${paths[@]}" > "$diff"
    # files a fix created (a .dockerignore)
    git ls-files --others --exclude-standard -- "${paths[@]}" | while IFS= read -r f; do
      git diff --no-index -- /dev/null "$f" >> "$diff"
    done
    [ -n "$(git status --porcelain -- "${paths[@]}")" ] && changed=true
  else
    : > "$diff"
  fi
fi
{
  echo "exit-code=$rc"
  echo "changed=$changed"
  echo "diff=$diff"
  echo "report=$report"
} >> "$out"
# the exit code is an output; action.yml decides whether the step fails
exit 0
