#!/usr/bin/env bash
# The main job: set up (packages + build), write weft's random-weight SD1 demo checkpoint into
# ./models (ComfyUI's model folder, weft's default), and run a real txt2img workflow on it
# (CLIP -> KSampler -> VAE -> PNG). Random weights draw noise: for real pictures, see README.md
# "Real pictures".
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
./build/weft demo-model models
./build/weft run workflows/txt2img_demo.json
echo
echo "Saved under output/. These weights are random, so the picture is noise."
echo "The other workflows in workflows/ run the same way from here: ./build/weft run workflows/<name>.json"
echo "Real pictures need a real SD1.5 checkpoint: put it in models/checkpoints/ (with CLIP's vocab.json and"
echo "merges.txt in models/tokenizers/clip/) and run:"
echo "  ./build/weft run workflows/txt2img_sd15.json --set 4.ckpt_name=v1-5-pruned-emaonly.safetensors"
