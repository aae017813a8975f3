"""A tiny random-weight Llama in Hugging Face's format, written at test time: `python tiny_hf_model.py DIR`.

Run by a server's own interpreter (vLLM's, `transformers serve`'s): they have `transformers`,
`tokenizers` and `torch`; the suite's interpreter needs none of them. Two layers, 128-dim
embeddings, a byte-level BPE tokenizer trained here on a few sentences, weights from a fixed
seed: nothing downloaded, nothing committed. It talks nonsense, which is all a probe needs.

The tokenizer knows all 256 bytes, so some tokens are parts of characters, as with any real
byte-level tokenizer: how a server writes such a token (vLLM: "", OpenAI: `bytes:\\x..`) and
keys alternatives that read alike is part of what the probe sees. The probe's cases ask for
temperature 0 or a seed, so a run's findings repeat.
"""

from __future__ import annotations

import sys
from pathlib import Path

SENTENCES = [
    "Say this is a test.",
    "This is a test: the answer is 42, and it is a test of the server.",
    "Say hello to the world; hello, world!",
    'A "quoted" word, a \\ backslash, a colon: and a tab\there.',
    "The quick brown fox jumps over the lazy dog. 0123456789",
]
SPECIAL = ["<s>", "</s>", "<unk>", "<pad>"]
CHAT_TEMPLATE = (
    "{{ bos_token }}{% for message in messages %}{{ message['role'] }}: {{ message['content'] }}\n{% endfor %}"
    "{% if add_generation_prompt %}assistant: {% endif %}"
)


def write(folder: Path) -> Path:
    """Write the model and its tokenizer to `folder` and return it."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    tokenizer = Tokenizer(models.BPE(unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    alphabet = pre_tokenizers.ByteLevel.alphabet()
    trainer = trainers.BpeTrainer(vocab_size=400, special_tokens=SPECIAL, initial_alphabet=alphabet)
    tokenizer.train_from_iterator(SENTENCES * 4, trainer)
    bos = tokenizer.token_to_id("<s>")
    tokenizer.post_processor = processors.TemplateProcessing(single="<s> $A", special_tokens=[("<s>", bos)])
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, bos_token="<s>", eos_token="</s>", unk_token="<unk>", pad_token="<pad>"
    )
    fast.chat_template = CHAT_TEMPLATE
    torch.manual_seed(20261205)
    config = LlamaConfig(
        vocab_size=tokenizer.get_vocab_size(),
        hidden_size=128,
        intermediate_size=256,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=2,
        max_position_embeddings=512,
        bos_token_id=bos,
        eos_token_id=tokenizer.token_to_id("</s>"),
        pad_token_id=tokenizer.token_to_id("<pad>"),
        torch_dtype="float32",
    )
    model = LlamaForCausalLM(config)
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder)
    fast.save_pretrained(folder)
    return folder


if __name__ == "__main__":
    write(Path(sys.argv[1]))
