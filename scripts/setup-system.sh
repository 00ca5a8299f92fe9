#!/usr/bin/env bash
# Installs the Debian packages the tests use as independent references and UI driver:
#   python3-nibabel (NIfTI reference), python3-torch (gradient and speed reference),
#   python3-sklearn (the BTCV fold split), python3-scipy (Dice/HD95/body-mask reference), chromium (the browser Playwright drives),
#   python3-jsonschema (checks the contributed compare-config schema against the parser),
#   slurm-wlm and munge (a real single-node Slurm for `anadiff submit --slurm`, test/system/slurm.test.ts).
# Needs root (as in CI). Without root, missing packages are reported and the tests that need them skip.
set -u
need=()
/usr/bin/python3 -c 'import nibabel' 2>/dev/null || need+=(python3-nibabel)
/usr/bin/python3 -c 'import torch' 2>/dev/null || need+=(python3-torch)
/usr/bin/python3 -c 'import sklearn' 2>/dev/null || need+=(python3-sklearn)
/usr/bin/python3 -c 'import scipy' 2>/dev/null || need+=(python3-scipy)
/usr/bin/python3 -c 'import jsonschema' 2>/dev/null || need+=(python3-jsonschema)
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v slurmctld >/dev/null || need+=(slurm-wlm)
command -v munged >/dev/null || need+=(munge)
if [ ${#need[@]} -eq 0 ]; then echo "system packages: all present"; exit 0; fi
if [ "$(id -u)" != 0 ]; then
  echo "system packages missing (${need[*]}); not root, so tests that need them will skip"
  exit 0
fi
echo "installing: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
for attempt in 1 2 3; do
  apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need[@]}" && exit 0
  echo "apt-get failed (attempt $attempt), retrying"; sleep 10
done
exit 1
