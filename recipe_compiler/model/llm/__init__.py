"""An LLM as `--model` knows it: a Hugging Face model folder (its config.json; no
weights are needed, safetensors headers confirm names and shapes where present),
its module tree from the tables shipped for the common decoder families
(`families.json`, generated from transformers) or, for another architecture,
from transformers itself on the meta device when it is installed."""
