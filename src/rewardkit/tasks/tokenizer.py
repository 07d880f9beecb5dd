"""A character-level tokenizer built locally with the ``tokenizers`` library (nothing downloaded).

Every printable ASCII character and the newline is one token, so a completion's token offsets are
its character positions, and a tiny model sees a grid cell as one token.

>>> tok = char_tokenizer()
>>> tok.decode(tok("[1,2]")["input_ids"])
'[1,2]'
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rewardkit.errors import require

PAD, EOS, UNK = "<pad>", "<eos>", "<unk>"
CHARACTERS = "\n" + "".join(chr(c) for c in range(32, 127))


def char_tokenizer() -> Any:
    """A ``PreTrainedTokenizerFast`` with one token per character, plus pad, eos and unk.

    >>> char_tokenizer().eos_token
    '<eos>'
    """
    tokenizers = require("tokenizers", "train")
    transformers = require("transformers", "train")
    vocab = {PAD: 0, EOS: 1, UNK: 2}
    for ch in CHARACTERS:
        vocab[ch] = len(vocab)
    core = tokenizers.Tokenizer(tokenizers.models.WordLevel(vocab=vocab, unk_token=UNK))
    # `[\s\S]` isolates every character, newlines included, so offsets are character positions.
    core.pre_tokenizer = tokenizers.pre_tokenizers.Split(
        tokenizers.Regex("[\\s\\S]"), behavior="isolated"
    )
    core.decoder = tokenizers.decoders.Fuse()
    core.add_special_tokens([PAD, EOS, UNK])
    return transformers.PreTrainedTokenizerFast(
        tokenizer_object=core,
        pad_token=PAD,
        eos_token=EOS,
        unk_token=UNK,
        clean_up_tokenization_spaces=False,
        padding_side="left",
        model_max_length=1024,
    )


def save_char_tokenizer(path: str | Path) -> Any:
    """Build the character tokenizer and save it so ``AutoTokenizer.from_pretrained(path)`` loads it.

    >>> import tempfile; d = tempfile.mkdtemp()
    >>> save_char_tokenizer(d).vocab_size > 90
    True
    """
    tok = char_tokenizer()
    tok.save_pretrained(str(path))
    return tok
