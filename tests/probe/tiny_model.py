"""A tiny llama model written at test time: 2 layers, 64-dim embeddings, an SPM vocabulary, random F32 weights.

About 500 KB and byte-identical between runs (fixed seed): nothing downloaded, nothing committed.
It talks nonsense, which is all the probe needs: a real llama.cpp server answering real requests.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

SEED = 20261125
N_EMBD, N_FF, N_LAYER, N_HEAD = 64, 128, 2, 4


def write_tiny_llama(path: Path) -> Path:
    """Write the model to `path` (GGUF) and return it."""
    import gguf
    import numpy as np

    rng = np.random.default_rng(SEED)
    words = ["the", "a", "is", "this", "test", "say", "hello", "world", "of", "and", "to", "in", "it", "answer"]
    pieces = ["<unk>", "<s>", "</s>", "\u2581", *"abcdefghijklmnopqrstuvwxyz", *("\u2581" + word for word in words)]
    pieces += [*".,:;!?'\"-()0123456789", *(f"<0x{byte:02X}>" for byte in range(256))]
    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_name("tiny")
    writer.add_context_length(256)
    writer.add_embedding_length(N_EMBD)
    writer.add_block_count(N_LAYER)
    writer.add_feed_forward_length(N_FF)
    writer.add_head_count(N_HEAD)
    writer.add_head_count_kv(N_HEAD)
    writer.add_rope_dimension_count(N_EMBD // N_HEAD)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_file_type(gguf.LlamaFileType.ALL_F32)
    writer.add_tokenizer_model("llama")
    writer.add_token_list(pieces)
    writer.add_token_scores([0.0 if number < 3 else -float(number) for number in range(len(pieces))])
    writer.add_token_types([_token_type(gguf, piece) for piece in pieces])
    writer.add_bos_token_id(1)
    writer.add_eos_token_id(2)
    writer.add_unk_token_id(0)
    writer.add_add_bos_token(True)
    writer.add_add_eos_token(False)

    def weights(name: str, *shape: int) -> None:
        writer.add_tensor(name, (rng.standard_normal(shape) * 0.02).astype(np.float32))

    def ones(name: str) -> None:
        writer.add_tensor(name, np.ones(N_EMBD, dtype=np.float32))

    weights("token_embd.weight", len(pieces), N_EMBD)
    ones("output_norm.weight")
    weights("output.weight", len(pieces), N_EMBD)
    for layer in range(N_LAYER):
        ones(f"blk.{layer}.attn_norm.weight")
        for part in ("q", "k", "v", "output"):
            weights(f"blk.{layer}.attn_{part}.weight", N_EMBD, N_EMBD)
        ones(f"blk.{layer}.ffn_norm.weight")
        weights(f"blk.{layer}.ffn_gate.weight", N_FF, N_EMBD)
        weights(f"blk.{layer}.ffn_up.weight", N_FF, N_EMBD)
        weights(f"blk.{layer}.ffn_down.weight", N_EMBD, N_FF)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def _token_type(gguf: Any, piece: str) -> Any:
    types = gguf.TokenType
    if piece == "<unk>":
        return types.UNKNOWN
    if piece in ("<s>", "</s>"):
        return types.CONTROL
    return types.BYTE if piece.startswith("<0x") else types.NORMAL
