#!/usr/bin/env bash
# Checks the layering of docs/architecture.md on the sources: every #include of a layer's folder
# ("tensor/ops/ops.h", <graph/validate.h>) from a file in another layer must be one the table's
# "may use" column allows, no include climbs out of its folder ("../"), and each weft_layer() line
# of CMakeLists.txt links the same folders the table names. Prints every violation; exits 1 if any.
# Usage: scripts/check_layers.sh [repository root]
set -euo pipefail
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$root"

# The table: rows "| `folder/` | holds | may use |" between the markers in docs/architecture.md.
declare -A allowed
layers=()
while IFS='|' read -r _ folder _ uses _; do
  folder=$(echo "$folder" | tr -d ' `/')
  uses=$(echo "$uses" | tr -d '`/' | tr ',' ' ' | sed 's/—//g; s/-//g')
  [ -n "$folder" ] || continue
  layers+=("$folder")
  allowed[$folder]="$folder $uses"
done < <(sed -n '/<!-- layers:begin -->/,/<!-- layers:end -->/p' docs/architecture.md | grep -E '^\| `[a-z]+/`')

if [ ${#layers[@]} -eq 0 ]; then
  echo "check_layers: no layer table found in docs/architecture.md" >&2
  exit 1
fi

fail=0
is_layer() { local x; for x in "${layers[@]}"; do [ "$x" = "$1" ] && return 0; done; return 1; }

for layer in "${layers[@]}"; do
  [ -d "$layer" ] || continue
  while IFS= read -r line; do
    file=${line%%:*}
    rest=${line#*:}
    lineno=${rest%%:*}
    inc=$(echo "$rest" | sed -E 's/^[0-9]+:[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]([^>"]+)[>"].*/\1/')
    if [[ "$inc" == ../* || "$inc" == */../* ]]; then
      echo "$file:$lineno: includes \"$inc\": climbs out of its folder (include by layer path)"
      fail=1
      continue
    fi
    top=${inc%%/*}
    [ "$top" != "$inc" ] || continue       # same-folder include ("util.h")
    [ "$top" = "weft" ] && continue         # the public API: every layer may use it
    is_layer "$top" || continue             # a library (<tbb/...>, <nlohmann/...>)
    if [[ " ${allowed[$layer]} " != *" $top "* ]]; then
      echo "$file:$lineno: $layer/ includes $inc, but $layer/ may use only: ${allowed[$layer]}"
      fail=1
    fi
  done < <(grep -rnE '^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]' "$layer" --include='*.h' --include='*.cpp' --include='*.hpp' || true)
done

# CMakeLists.txt builds each layer against the same folders (weft_layer(target folder uses...)).
while read -r target folder uses; do
  want=$(echo "${allowed[$folder]:-}" | tr ' ' '\n' | grep -v '^$' | sort -u | tr '\n' ' ')
  have=$(echo "$folder $uses" | tr ' ' '\n' | grep -v '^$' | sort -u | tr '\n' ' ')
  if [ -z "${allowed[$folder]:-}" ]; then
    echo "CMakeLists.txt: $target builds folder $folder/, which docs/architecture.md's table lacks"
    fail=1
  elif [ "$want" != "$have" ]; then
    echo "CMakeLists.txt: $target may use [$have] but docs/architecture.md says [$want]"
    fail=1
  fi
done < <(grep -E '^weft_layer(_includes)?\(' CMakeLists.txt | sed -E 's/^weft_layer(_includes)?\(([^)]*)\).*/\2/')

if [ $fail -ne 0 ]; then
  echo "check_layers: includes or CMake targets that docs/architecture.md does not allow (see above)" >&2
  exit 1
fi
echo "check_layers: ${#layers[@]} layers, every include allowed by docs/architecture.md"
