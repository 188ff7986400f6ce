"""The tiny models and the recipes the LLM runner's tests run."""

LLAMA = {
    "config": "LlamaConfig",
    "values": {
        "hidden_size": 64,
        "intermediate_size": 128,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "vocab_size": 256,
        "max_position_embeddings": 256,
    },
}
MOE = {
    "config": "Qwen3MoeConfig",
    "values": {
        "hidden_size": 64,
        "intermediate_size": 128,
        "moe_intermediate_size": 64,
        "num_experts": 4,
        "num_experts_per_tok": 2,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "head_dim": 16,
        "vocab_size": 256,
        "max_position_embeddings": 256,
    },
}

ROUTER = '"re:.*mlp.gate$"'  # an MoE's router stays dense (as every example has it)
RECIPES = {
    "w8a8-smoothquant": f"""\
default_stage:
  default_modifiers:
    SmoothQuantModifier:
      smoothing_strength: 0.8
    GPTQModifier:
      targets: [Linear]
      ignore: [lm_head, {ROUTER}]
      scheme: W8A8
      actorder: null
""",
    "gptq-w4a16-g32": f"""\
default_stage:
  default_modifiers:
    GPTQModifier:
      ignore: [lm_head, {ROUTER}]
      config_groups:
        group_0:
          targets: [Linear]
          weights: {{num_bits: 4, type: int, symmetric: true, strategy: group, group_size: 32}}
""",
    "fp8-dynamic": f"""\
default_stage:
  default_modifiers:
    QuantizationModifier:
      targets: [Linear]
      ignore: [lm_head, {ROUTER}]
      scheme: FP8_DYNAMIC
""",
    "sparsegpt-2of4": f"""\
sparsity_stage:
  sparsity_modifiers:
    SparseGPTModifier:
      sparsity: 0.5
      mask_structure: "2:4"
      targets: [Linear]
      ignore: ["re:.*lm_head", {ROUTER}]
""",
}
FORMATS = {
    "w8a8-smoothquant": "int-quantized",
    "gptq-w4a16-g32": "pack-quantized",
    "fp8-dynamic": "float-quantized",
    "sparsegpt-2of4": None,  # (llm-compressor 0.14 saves a pruned model dense)
}
