"""GRPO with TRL, rewards from rewardkit: per-component reward functions, a ladder that tightens
the length budget as the model gets the format right, diagnostics and checkpointed schedule state.

    python examples/trl_grpo.py                                  # a tiny local model, 4 steps
    python examples/trl_grpo.py --model Qwen/Qwen2.5-0.5B-Instruct --steps 200
"""

import argparse
import tempfile

import torch
import yaml
from datasets import Dataset
from trl import GRPOConfig, GRPOTrainer

from rewardkit import RewardProgram
from rewardkit.integrations.trl import RewardKitCallback, reward_funcs

REWARD = """
reward:
  weighted:
    - {name: answer, fn: exact_match, extract: last_number}
    - {name: digits, fn: regex, pattern: '^\\s*\\d+\\s*$', weight: 0.5}
    - {name: length, fn: length_budget, target: "${budget}", weight: 0.2}
schedules:
  budget:            # tokens allowed before the length penalty; tightens once the format holds
    ladder: [32, 16, 8]
    watch: reward/digits/mean
    window: 2
    raise_when: {mean_at_least: 0.5}
"""

parser = argparse.ArgumentParser()
parser.add_argument("--model", default=None, help="a causal LM; default: a tiny local Qwen2")
parser.add_argument("--steps", type=int, default=4)
parser.add_argument("--out", default=tempfile.mkdtemp(prefix="trl-grpo-"))
args = parser.parse_args()

model, tokenizer = args.model, None
if model is None:  # no download: a 1-layer Qwen2 with a character tokenizer, built here
    from rewardkit.tasks.models import TinyModelSpec, build_tiny_model

    model, tokenizer = build_tiny_model(TinyModelSpec(layers=1, hidden=32, heads=2, mlp=64))

pairs = [(a, b) for a in range(1, 9) for b in range(1, 9)]
data = Dataset.from_list([{"prompt": f"{a}+{b}=", "answer": str(a + b)} for a, b in pairs])

program = RewardProgram.from_dict(yaml.safe_load(REWARD))
funcs, weights = reward_funcs(program, reference_column="answer")
config = GRPOConfig(
    output_dir=args.out,
    max_steps=args.steps,
    per_device_train_batch_size=8,
    num_generations=4,
    max_completion_length=16,
    reward_weights=weights,
    logging_steps=1,
    save_steps=2,
    report_to="none",
    disable_tqdm=True,
    use_cpu=not torch.cuda.is_available(),
    bf16=torch.cuda.is_available(),
)
callback = RewardKitCallback(program)
trainer = GRPOTrainer(
    model=model,
    processing_class=tokenizer,
    reward_funcs=funcs,
    args=config,
    train_dataset=data,
    callbacks=[callback],
)
trainer.train()

for record in trainer.state.log_history:
    if "rewardkit/reward/mean" in record:
        print(
            f"step {record['step']}: reward {record['rewardkit/reward/mean']:.3f}, "
            f"budget {record['rewardkit/schedule/budget']:g}"
        )
print("events:", [f"{e.source} {e.old:g}->{e.new:g} after step {e.step}" for e in callback.events])
