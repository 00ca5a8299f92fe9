#!/usr/bin/env bash
# The one rehearsed GPU session (docs/gpu.md): what a session with a lent GPU machine runs, in a few device calls.
#
#   scripts/gpu-session.sh pack [--providers TGZ | --fake-providers]    HERE, after `npm run build`
#       .gpu/bundle/   node + onnxruntime-node (linux x64 only) + dist/ as one tar.xz (the GPU machine has no Node)
#       .gpu/cuda-N/   the CUDA providers of ORT 1.29.0 (from TGZ, the npm package
#                      com.github.asus4.onnxruntime.linux-x64-gpu@0.4.9), xz-compressed and split into parts that fit
#                      one device call each (64 MiB per call, the working tree included); prints the calls to make
#   scripts/gpu-session.sh stash DIR...    ON THE GPU MACHINE: checks and keeps carried parts in $STASH (/tmp survives
#                                          between calls while the machine stays warm, 30 s)
#   scripts/gpu-session.sh run             ON THE GPU MACHINE: unpack, install the providers, `doctor`, `gpu check`,
#                                          `bench train` (UNet 64^3, 96^3, FPN3d small 96^3) against PyTorch on the same
#                                          GPU; every result as JSON under $OUT; each step under a timeout, all of it
#                                          within BUDGET_S
#   scripts/gpu-session.sh rehearse        HERE: pack --fake-providers, stash, DEVICE=cpu run at toy sizes
#
# Settings (environment): DEVICE (cuda), UNET_SIZES ("64 96"), FPN_SIZE (96), CHANNELS (16), STEPS (8), WARMUP (2),
# CHECK_SIZE (32), THREADS (all cores), STEP_TIMEOUT (150 s), BUDGET_S (480 s), OUT ($OUT or .gpu/out),
# STASH (/tmp/anadiff-gpu/stash), APP (/tmp/anadiff-gpu/app), XZ_LEVEL (6).
# Exit status: 0 when every step passed; 1 when a step failed or a piece is missing (the line starting
# "gpu-session: FAILED" says which); 2 for a wrong command line.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
GPU_DIR=$ROOT/.gpu
STASH=${STASH:-/tmp/anadiff-gpu/stash}
APP=${APP:-/tmp/anadiff-gpu/app}
DEVICE=${DEVICE:-cuda}
UNET_SIZES=${UNET_SIZES:-64 96}
FPN_SIZE=${FPN_SIZE:-96}
CHANNELS=${CHANNELS:-16}
STEPS=${STEPS:-8}
WARMUP=${WARMUP:-2}
CHECK_SIZE=${CHECK_SIZE:-32}
THREADS=${THREADS:-}
STEP_TIMEOUT=${STEP_TIMEOUT:-150}
BUDGET_S=${BUDGET_S:-480}
XZ_LEVEL=${XZ_LEVEL:-6}
# What one device call may carry (working tree + carried paths), less a margin for files that change meanwhile.
CALL_BYTES=$((64 * 1024 * 1024))
MARGIN_BYTES=$((2 * 1024 * 1024))
PROVIDERS_TAR=providers.tar.xz

say() { echo "gpu-session: $*"; }
die() { # in `run`, summary.json records the failure too
  echo "gpu-session: FAILED: $*" >&2
  if [ -n "${OUT_READY:-}" ]; then
    STEP_ROWS+=("{\"step\":\"setup\",\"status\":\"failed\",\"note\":\"$(printf '%s' "$*" | tr '"\\' "''")\"}"); FAILED+=(setup); write_summary
  fi
  exit 1
}
usage() { sed -n '2,25p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 2; }

sha() { sha256sum "$1" | cut -d' ' -f1; }
bytes() { stat -c %s "$1"; }

xz_compress() { # stdin -> stdout
  if command -v xz >/dev/null; then xz -T0 "-$XZ_LEVEL" -c
  else python3 -c "import lzma,sys,shutil; shutil.copyfileobj(sys.stdin.buffer, lzma.LZMAFile(sys.stdout.buffer,'w',preset=$XZ_LEVEL))"; fi
}
xz_decompress() { # stdin -> stdout; the GPU image may lack xz but has python3
  if command -v xz >/dev/null; then xz -d -c
  elif command -v python3 >/dev/null; then python3 -c "import lzma,sys,shutil; shutil.copyfileobj(lzma.LZMAFile(sys.stdin.buffer), sys.stdout.buffer)"
  else die "neither xz nor python3 is here to unpack .xz files"; fi
}

# ---------------------------------------------------------------------------------------------------------- pack
tree_bytes() { # what a device call sends besides the carried paths: tracked + untracked-not-ignored files
  (cd "$ROOT" && { git ls-files -z; git ls-files -z -o --exclude-standard; } | xargs -0 -r stat -c %s 2>/dev/null | awk '{s += $1} END {print s + 0}')
}

fake_providers() { # $1: folder; two tiny x86-64 ELF files that pass install-cuda's checks (never loadable)
  mkdir -p "$1"
  node -e '
    const fs = require("fs"), path = require("path");
    const elf = (payload) => { const h = Buffer.alloc(64); h.writeUInt32BE(0x7f454c46, 0); h[4] = 2; h[5] = 1; h[6] = 1;
      h.writeUInt16LE(3, 0x10); h.writeUInt16LE(62, 0x12); h.writeUInt16LE(56, 0x36); return Buffer.concat([h, Buffer.from(payload, "latin1")]); };
    const v = require(path.join(process.argv[2], "node_modules/onnxruntime-node/package.json")).version;
    fs.writeFileSync(path.join(process.argv[1], "libonnxruntime_providers_shared.so"), elf("fake shared provider"));
    fs.writeFileSync(path.join(process.argv[1], "libonnxruntime_providers_cuda.so"), elf(`fake cuda provider\0${v}\0`));
  ' "$1" "$ROOT" || die "could not write fake providers"
}

pack() {
  local providers_tgz='' fake=0
  while [ $# -gt 0 ]; do
    case $1 in
      --providers) [ $# -ge 2 ] || { echo "pack: --providers needs a .tgz" >&2; exit 2; }; providers_tgz=$2; shift 2 ;;
      --fake-providers) fake=1; shift ;;
      *) echo "pack: unknown option $1" >&2; usage ;;
    esac
  done
  command -v node >/dev/null || die "pack needs node here"
  [ -f "$ROOT/dist/cli.js" ] || die "dist/cli.js is missing: run \`npm run build\` first"
  local ort=$ROOT/node_modules/onnxruntime-node
  [ -f "$ort/package.json" ] || die "node_modules/onnxruntime-node is missing: run \`npm ci\` first"
  local bin_dir
  bin_dir=$(cd "$ort" && ls -d bin/napi-v*/linux/x64 2>/dev/null | head -1)
  [ -n "$bin_dir" ] || die "onnxruntime-node has no linux x64 binary"

  rm -rf "$GPU_DIR/bundle" "$GPU_DIR"/cuda-* && mkdir -p "$GPU_DIR/bundle"
  local stage
  stage=$(mktemp -d) || die "mktemp"
  mkdir -p "$stage/app/dist" "$stage/app/node_modules/onnxruntime-node/$bin_dir" "$stage/app/node_modules/onnxruntime-common"
  cp "$(command -v node)" "$stage/app/node"
  cp "$ROOT"/dist/cli.js "$stage/app/dist/"
  (cd "$ort" && cp -r package.json dist lib "$stage/app/node_modules/onnxruntime-node/" && cp "$bin_dir"/* "$stage/app/node_modules/onnxruntime-node/$bin_dir/")
  (cd "$ROOT/node_modules/onnxruntime-common" && cp -r package.json dist "$stage/app/node_modules/onnxruntime-common/")
  say "packing node $(node --version), onnxruntime-node $(node -p "require('$ort/package.json').version") (linux x64), dist/ (xz -$XZ_LEVEL)"
  tar -C "$stage/app" -cf - . | xz_compress >"$GPU_DIR/bundle/bundle.tar.xz" || die "packing the bundle failed"
  (cd "$GPU_DIR/bundle" && echo "bundle.tar.xz $(sha bundle.tar.xz)" >bundle.sha256)

  local parts=0
  if [ -n "$providers_tgz" ] || [ $fake = 1 ]; then
    mkdir -p "$stage/providers"
    if [ $fake = 1 ]; then
      fake_providers "$stage/providers"
    else
      [ -f "$providers_tgz" ] || die "$providers_tgz not found (get it with: npm pack com.github.asus4.onnxruntime.linux-x64-gpu@0.4.9)"
      mkdir -p "$stage/tgz" && tar -xzf "$providers_tgz" -C "$stage/tgz" || die "$providers_tgz is not a .tgz"
      local f
      for f in libonnxruntime_providers_shared.so libonnxruntime_providers_cuda.so; do
        local found
        found=$(find "$stage/tgz" -path '*[Ll]inux*' -name "$f" | head -1)
        [ -n "$found" ] || found=$(find "$stage/tgz" -name "$f" | head -1)
        [ -n "$found" ] || die "$providers_tgz holds no $f"
        cp "$found" "$stage/providers/$f"
      done
    fi
    say "packing the CUDA providers ($(du -sh "$stage/providers" | cut -f1) unpacked; xz -$XZ_LEVEL, minutes for the real 230 MB provider)"
    tar -C "$stage/providers" -cf - . | xz_compress >"$stage/$PROVIDERS_TAR" || die "packing the providers failed"
    local tree part_bytes
    tree=$(tree_bytes)
    part_bytes=$((CALL_BYTES - tree - MARGIN_BYTES))
    [ $part_bytes -gt $((4 * 1024 * 1024)) ] || die "the working tree ($tree bytes) leaves no room in a 64 MiB call"
    (cd "$stage" && split -b "$part_bytes" -d -a 2 "$PROVIDERS_TAR" "$PROVIDERS_TAR.part") || die "split failed"
    local total_sha
    total_sha=$(sha "$stage/$PROVIDERS_TAR")
    local p
    for p in "$stage/$PROVIDERS_TAR".part*; do
      parts=$((parts + 1))
      mkdir -p "$GPU_DIR/cuda-$parts"
      mv "$p" "$GPU_DIR/cuda-$parts/"
    done
    local i
    for i in $(seq 1 $parts); do
      { echo "parts $parts"; echo "$PROVIDERS_TAR $total_sha"
        for p in "$GPU_DIR"/cuda-*/"$PROVIDERS_TAR".part*; do echo "$(basename "$p") $(sha "$p")"; done; } >"$GPU_DIR/cuda-$i/providers.manifest"
    done
  fi

  rm -rf "$stage"
  # The device calls: each carries folders whose sum, with the working tree, stays under 64 MiB.
  local tree cap
  tree=$(tree_bytes)
  cap=$((CALL_BYTES - tree - MARGIN_BYTES))
  say "working tree $((tree / 1048576)) MiB; each call may carry $((cap / 1048576)) MiB more"
  local items=(bundle) i
  for i in $(seq 1 $parts); do items+=("cuda-$i"); done
  local call=() used=0 n=0 item size
  flush() {
    [ ${#call[@]} -gt 0 ] || return 0
    n=$((n + 1))
    local carry='' cmd='bash scripts/gpu-session.sh stash' c
    for c in "${call[@]}"; do carry+="\".gpu/$c\","; cmd+=" .gpu/$c"; done
    echo "  call $n: carry [${carry%,}] ($((used / 1048576)) MiB)  command: $cmd"
    call=(); used=0
  }
  say "device calls, in order, with no pause between them (the machine forgets /tmp 30 s after a call):"
  for item in "${items[@]}"; do
    size=$(du -cb "$GPU_DIR/$item" | tail -1 | cut -f1)
    [ "$size" -le "$cap" ] || die ".gpu/$item is $size bytes, more than one call carries ($cap)"
    if [ $((used + size)) -gt "$cap" ]; then flush; fi
    call+=("$item"); used=$((used + size))
  done
  flush
  echo "  then, in the last call (or one more): ... && DEVICE=cuda bash scripts/gpu-session.sh run   (timeout_s 600)"
  [ $parts -gt 0 ] || say "no providers packed: \`run\` with DEVICE=cuda needs them (pack --providers TGZ)"
}

# --------------------------------------------------------------------------------------------------------- stash
stash() {
  [ $# -gt 0 ] || { echo "stash: name the carried folders" >&2; exit 2; }
  mkdir -p "$STASH"
  local dir f name want
  for dir in "$@"; do
    [ -d "$dir" ] || die "stash: $dir was not carried here (name it in the call's carry)"
    for f in "$dir"/*; do
      name=$(basename "$f")
      case $name in
        *.sha256|*.manifest) cp "$f" "$STASH/" ;;
        *)
          want=$(cat "$dir"/*.sha256 "$dir"/*.manifest 2>/dev/null | awk -v n="$name" '$1 == n {print $2; exit}')
          [ -n "$want" ] || die "stash: no checksum for $name in $dir"
          [ "$(sha "$f")" = "$want" ] || die "stash: $dir/$name is corrupt (sha256 differs from the manifest)"
          cp "$f" "$STASH/$name" || die "stash: copying $name to $STASH failed"
          say "stashed $name ($(($(bytes "$f") / 1048576)) MiB) in $STASH" ;;
      esac
    done
  done
  if [ -f "$STASH/providers.manifest" ]; then
    local have missing=''
    have=$(ls "$STASH"/"$PROVIDERS_TAR".part* 2>/dev/null | wc -l)
    while read -r name want; do
      case $name in "$PROVIDERS_TAR".part*) [ -f "$STASH/$name" ] || missing+=" $name" ;; esac
    done <"$STASH/providers.manifest"
    say "providers: $have of $(awk '$1 == "parts" {print $2}' "$STASH/providers.manifest") parts stashed${missing:+; still to carry:$missing}"
  fi
}

# ----------------------------------------------------------------------------------------------------------- run
NODE=''
CLI=''
unpack_app() {
  if [ -x "$APP/node" ] && [ -f "$APP/dist/cli.js" ]; then
    say "using the unpacked bundle in $APP"
  else
    local bundle=''
    for bundle in "$STASH/bundle.tar.xz" "$GPU_DIR/bundle/bundle.tar.xz"; do [ -f "$bundle" ] && break; bundle=''; done
    [ -n "$bundle" ] || die "no bundle: carry .gpu/bundle (made here by \`scripts/gpu-session.sh pack\`) and stash it; this machine has $(command -v node >/dev/null && node --version || echo 'no node')"
    rm -rf "$APP" && mkdir -p "$APP" || die "cannot create $APP"
    xz_decompress <"$bundle" | tar -x -C "$APP" || die "unpacking $bundle failed"
    say "unpacked $(basename "$bundle") into $APP"
  fi
  # The PyTorch peer is found next to dist/ (scripts/torch): it travels with the working tree.
  mkdir -p "$APP/scripts" && rm -rf "$APP/scripts/torch" && cp -r "$ROOT/scripts/torch" "$APP/scripts/torch" || die "scripts/torch is missing from the working tree"
  NODE=$APP/node
  CLI=$APP/dist/cli.js
  "$NODE" --version >/dev/null || die "the bundled node does not run here"
}

install_providers() {
  if [ ! -f "$STASH/providers.manifest" ]; then
    [ "$DEVICE" = cuda ] || { say "no CUDA providers carried (DEVICE=$DEVICE: not needed)"; return 0; }
    local lib
    lib=$(cd "$APP" && "$NODE" -e "const p=require('path'),fs=require('fs');const b=p.join(p.dirname(require.resolve('onnxruntime-node/package.json')),'bin');for(const v of fs.readdirSync(b)){const d=p.join(b,v,'linux','x64');if(fs.existsSync(d))console.log(d)}")
    [ -f "$lib/libonnxruntime_providers_cuda.so" ] && { say "CUDA providers already installed in $lib"; return 0; }
    die "DEVICE=cuda but the CUDA providers were not carried: here \`scripts/gpu-session.sh pack --providers com.github.asus4.onnxruntime.linux-x64-gpu-0.4.9.tgz\`, then stash every .gpu/cuda-N (docs/gpu.md)"
  fi
  local parts missing='' name want
  parts=$(awk '$1 == "parts" {print $2}' "$STASH/providers.manifest")
  while read -r name want; do
    case $name in "$PROVIDERS_TAR".part*) [ -f "$STASH/$name" ] || missing+=" $name" ;; esac
  done <"$STASH/providers.manifest"
  [ -z "$missing" ] || die "CUDA providers incomplete: missing$missing of $parts parts in $STASH (a fresh machine forgets earlier calls: stash every part again, one call right after another)"
  local whole
  whole=$(awk -v n="$PROVIDERS_TAR" '$1 == n {print $2}' "$STASH/providers.manifest")
  local dir=$APP/providers
  rm -rf "$dir" && mkdir -p "$dir"
  cat "$STASH/$PROVIDERS_TAR".part* >"$APP/$PROVIDERS_TAR" || die "joining the provider parts failed"
  [ "$(sha "$APP/$PROVIDERS_TAR")" = "$whole" ] || die "the joined $PROVIDERS_TAR does not match its sha256"
  xz_decompress <"$APP/$PROVIDERS_TAR" | tar -x -C "$dir" || die "unpacking the CUDA providers failed"
  rm -f "$APP/$PROVIDERS_TAR"
  say "installing the CUDA providers from $parts part(s)"
  (cd "$APP" && "$NODE" "$CLI" doctor --install-cuda "$dir") || die "anadiff doctor --install-cuda failed (above)"
}

STEP_ROWS=()
FAILED=()
step() { # step NAME FILE COMMAND...: runs under the step timeout and what is left of the budget; stdout -> FILE
  local name=$1 file=$2; shift 2
  local left=$((BUDGET_S - (SECONDS - T0)))
  local limit=$STEP_TIMEOUT
  [ $left -lt $limit ] && limit=$left
  if [ $limit -lt 10 ]; then
    say "SKIPPED $name: the session budget (BUDGET_S=$BUDGET_S s) is spent"
    STEP_ROWS+=("{\"step\":\"$name\",\"status\":\"skipped\",\"note\":\"budget spent\"}"); FAILED+=("$name (budget)"); return 1
  fi
  say "$name (timeout ${limit} s): $*"
  local t=$SECONDS rc
  (cd "$APP" && timeout -k 5 "$limit" "$@") >"$OUT/$file"
  rc=$?
  local status=ok
  if [ $rc = 124 ] || [ $rc = 137 ]; then status=timeout; elif [ $rc != 0 ]; then status=failed; fi
  say "$name: $status (rc $rc, $((SECONDS - t)) s)$([ -s "$OUT/$file" ] && echo ": $(tr -s ' \n' ' ' <"$OUT/$file" | head -c 300)")"
  STEP_ROWS+=("{\"step\":\"$name\",\"status\":\"$status\",\"rc\":$rc,\"seconds\":$((SECONDS - t)),\"file\":\"$file\"}")
  [ $status = ok ] || { FAILED+=("$name ($status, rc $rc)"); return 1; }
}

skip() { say "SKIPPED $1: $2"; STEP_ROWS+=("{\"step\":\"$1\",\"status\":\"skipped\",\"note\":\"$2\"}"); FAILED+=("$1 (skipped)"); }

write_summary() {
  local rows
  rows=$(IFS=,; echo "${STEP_ROWS[*]}")
  echo "{\"device\":\"$DEVICE\",\"date\":\"$(date -u +%Y-%m-%dT%H:%M:%SZ)\",\"gpu\":\"$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1)\",\"seconds\":$((SECONDS - T0)),\"ok\":$([ ${#FAILED[@]} = 0 ] && echo true || echo false),\"steps\":[$rows]}" >"$OUT/summary.json"
}

run() {
  [ $# = 0 ] || { echo "run: no arguments (settings are environment variables)" >&2; usage; }
  case $DEVICE in cuda|cpu) ;; *) echo "run: DEVICE must be cuda or cpu, got $DEVICE" >&2; exit 2 ;; esac
  OUT=${OUT:-$GPU_DIR/out}
  mkdir -p "$OUT" || die "cannot create $OUT"
  # $OUT brings back at most 8 files: session.log, summary.json, doctor.json, gpu-check.json and three benches.
  exec > >(tee -a "$OUT/session.log") 2>&1
  T0=$SECONDS
  OUT_READY=1
  say "DEVICE=$DEVICE UNET_SIZES='$UNET_SIZES' FPN_SIZE=$FPN_SIZE CHANNELS=$CHANNELS STEPS=$STEPS STEP_TIMEOUT=$STEP_TIMEOUT BUDGET_S=$BUDGET_S OUT=$OUT"
  unpack_app
  install_providers

  step doctor doctor.json "$NODE" "$CLI" doctor --json
  # The CUDA/cuDNN libraries the loader cannot see but doctor found elsewhere (pip's nvidia-* wheels, a toolkit).
  local ld
  ld=$("$NODE" -e "try{const r=JSON.parse(require('fs').readFileSync(process.argv[1],'utf8'));process.stdout.write(r.cuda.suggestedLdLibraryPath||'')}catch{}" "$OUT/doctor.json")
  if [ -n "$ld" ] && [ "$DEVICE" = cuda ]; then export LD_LIBRARY_PATH=$ld; say "LD_LIBRARY_PATH=$ld (from doctor)"; fi

  local threads=()
  [ -n "$THREADS" ] && threads=(--threads "$THREADS")
  local checked=1
  step "gpu check" gpu-check.json "$NODE" "$CLI" gpu check --device "$DEVICE" --json --size "$CHECK_SIZE" --channels "$CHANNELS" --steps "$STEPS" --warmup "$WARMUP" "${threads[@]}" || checked=0

  local size
  for size in $UNET_SIZES; do
    if [ $checked = 1 ]; then
      step "bench unet $size" "bench-unet-$size.json" "$NODE" "$CLI" bench train --device "$DEVICE" --net unet --size "$size" --channels "$CHANNELS" --steps "$STEPS" --warmup "$WARMUP" "${threads[@]}" --json
    else skip "bench unet $size" "gpu check failed"; fi
  done
  if [ $checked = 1 ]; then
    step "bench fpn3d $FPN_SIZE" "bench-fpn3d-$FPN_SIZE.json" "$NODE" "$CLI" bench train --device "$DEVICE" --net fpn3d --size "$FPN_SIZE" --channels "$CHANNELS" --steps "$STEPS" --warmup "$WARMUP" "${threads[@]}" --json
  else skip "bench fpn3d $FPN_SIZE" "gpu check failed"; fi

  write_summary
  if [ ${#FAILED[@]} -gt 0 ]; then
    echo "gpu-session: FAILED: ${FAILED[*]} (details above; results in $OUT)"
    return 1
  fi
  say "all steps passed in $((SECONDS - T0)) s; results in $OUT"
}

# ------------------------------------------------------------------------------------------------------ rehearse
rehearse() {
  local tmp=/tmp/anadiff-gpu-rehearsal
  rm -rf "$tmp"
  pack --fake-providers || return 1
  local d
  for d in "$GPU_DIR"/bundle "$GPU_DIR"/cuda-*; do STASH=$tmp/stash stash "$d" || return 1; done
  # The fake providers install (the install step is exercised) but could never load: the rehearsal runs on the CPU.
  STASH=$tmp/stash APP=$tmp/app OUT=${OUT:-$tmp/out} DEVICE=cpu UNET_SIZES=${REHEARSE_UNET_SIZES:-8 12} FPN_SIZE=${REHEARSE_FPN_SIZE:-16} \
    CHANNELS=${REHEARSE_CHANNELS:-4} STEPS=${REHEARSE_STEPS:-2} WARMUP=1 CHECK_SIZE=8 THREADS=${THREADS:-1} \
    bash "${BASH_SOURCE[0]}" run
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case $cmd in
  pack) pack "$@" ;;
  stash) stash "$@" ;;
  run) run "$@" ;;
  rehearse) XZ_LEVEL=${XZ_LEVEL_REHEARSE:-1} rehearse "$@" ;;
  -h|--help|help) usage ;;
  *) echo "gpu-session.sh: unknown command '${cmd}'" >&2; usage ;;
esac
