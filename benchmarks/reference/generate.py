"""Reference for benchmarks/Benchmarks `generate`: full generation in plain PyTorch on the same libtorch.

Our own implementation of the two published samplers, written for this benchmark, over the models of forward.py
(same random models, same op order as the C# samplers):

* LLaDA generate() (GSAI-ML/LLaDA generate.py): semi-autoregressive blocks, per-block transfer schedule, temperature 0
  (argmax), low-confidence remasking (softmax probability of the chosen token), top-k transfer per row.
* MDLM ddpm sampling (kuleshov-group/mdlm diffusion.py `_ddpm_update`): log-linear noise, SUBS parameterization,
  q(x_s | x_t) = p(x0)·(mc_t − mc_s) with the mask column mc_s, categorical draw by the exponential race of
  `_sample_categorical`, carry-over of unmasked tokens, final noise-removal forward.

Timing: median of --repeats generations after --warmup, under no_grad, printing the C# side's line format.

  /usr/bin/python3 benchmarks/reference/generate.py --model llada --dtype bf16 --threads 2
"""
import argparse
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import forward  # noqa: E402  (the models and the timing helper of the forward benchmark)

NEG_INFINITY = -1e6  # SUBS's stand-in for −∞ (MDLM diffusion.py)
NOISE_EPS = 1e-3     # LogLinearNoise ε


# ---------------------------------------------------------------------------------------------------- LLaDA

def num_transfer_tokens(masked_per_row, steps):
    """generate.py get_num_transfer_tokens: masked // steps per step, the remainder on the first steps."""
    base = masked_per_row // steps
    remainder = masked_per_row % steps
    counts = base.unsqueeze(1).repeat(1, steps)
    for row in range(counts.size(0)):
        counts[row, :remainder[row]] += 1
    return counts


def add_gumbel_noise(logits, temperature, generator):
    """generate.py add_gumbel_noise: exp(logits) / (−log u)^T in float64, u ~ U[0, 1)."""
    wide = logits.to(torch.float64)
    noise = torch.rand(logits.shape, dtype=torch.float64, generator=generator)
    return wide.exp() / (-torch.log(noise)) ** temperature


def llada_generate(w, cfg, prompt, steps, gen_length, block_length, temperature=0.0, generator=None):
    mask_id = cfg["vocab"] - 1
    batch, prompt_length = prompt.shape
    length = prompt_length + gen_length
    x = torch.full((batch, length), mask_id, dtype=torch.long)
    x[:, :prompt_length] = prompt
    blocks = gen_length // block_length
    steps_per_block = steps // blocks
    for block in range(blocks):
        block_start = prompt_length + block * block_length
        block_end = block_start + block_length
        transfer_counts = num_transfer_tokens((x[:, block_start:block_end] == mask_id).sum(1), steps_per_block)
        for i in range(steps_per_block):
            mask_index = x == mask_id
            logits = forward.llada_forward(w, cfg, x)
            x0 = (logits if temperature == 0 else add_gumbel_noise(logits, temperature, generator)).argmax(-1)
            x0_p = logits.softmax(-1).gather(-1, x0.unsqueeze(-1)).squeeze(-1)
            x0_p[:, block_end:] = float("-inf")
            x0 = torch.where(mask_index, x0, x)
            confidence = torch.where(mask_index, x0_p, torch.tensor(float("-inf"), dtype=x0_p.dtype))
            transfer = torch.zeros_like(mask_index)
            for row in range(batch):
                k = int(transfer_counts[row, i])
                if k > 0:
                    _, selected = confidence[row].topk(k)
                    transfer[row, selected] = True
            x = torch.where(transfer, x0, x)
    return x


# ---------------------------------------------------------------------------------------------------- MDLM

def sigma(t):
    """Log-linear total noise σ(t) = −log(1 − (1 − ε) t)."""
    return (t * -(1 - NOISE_EPS)).log1p().neg()


def subs_log_probs(logits, ids, mask_id):
    adjusted = logits.clone()
    adjusted[..., mask_id] += NEG_INFINITY
    log_probs = adjusted - adjusted.logsumexp(-1, keepdim=True)
    unmasked = (ids != mask_id).unsqueeze(-1)
    carry_over = torch.full_like(log_probs, NEG_INFINITY).scatter(-1, ids.unsqueeze(-1), 0.0)
    return torch.where(unmasked, carry_over, log_probs)


def mdlm_generate(w, cfg, prompt, length, steps, generator, eps=1e-5):
    mask_id = cfg["vocab"] - 1
    batch, prompt_length = prompt.shape
    x = torch.full((batch, length), mask_id, dtype=torch.long)
    x[:, :prompt_length] = prompt
    timesteps = torch.linspace(1, eps, steps + 1)
    dt = (1 - eps) / steps
    for i in range(steps):
        t = timesteps[i].expand(batch, 1).contiguous()
        # time_conditioning false: the model ignores σ (forward.mdlm_forward embeds σ = 0).
        p_x0 = subs_log_probs(forward.mdlm_forward(w, cfg, x), x, mask_id).exp()
        move_t = 1.0 - sigma(t).neg().exp()
        move_s = 1.0 - sigma(t - dt).neg().exp()
        q = p_x0 * (move_t - move_s).unsqueeze(-1)
        q[..., mask_id] = move_s.expand(q.size(0), q.size(1))
        u = torch.rand(q.shape, dtype=q.dtype, generator=generator)
        draw = (q / (1e-10 - (u + 1e-10).log())).argmax(-1)
        x = torch.where(x != mask_id, x, draw)
    logits = forward.mdlm_forward(w, cfg, x)
    return subs_log_probs(logits, x, mask_id).argmax(-1)


# ---------------------------------------------------------------------------------------------------- benchmark

def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", choices=["llada", "mdlm"], default="llada")
    parser.add_argument("--dtype", choices=["fp32", "bf16"], default="bf16")
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--prompt", type=int, default=64)
    parser.add_argument("--gen", type=int, default=64)
    parser.add_argument("--steps", type=int, default=64)
    parser.add_argument("--block", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--mlp-hidden", type=int, default=2048)
    parser.add_argument("--temperature", type=float, default=0.0, help="LLaDA: > 0 adds float64 Gumbel noise")
    parser.add_argument("--clock", choices=["wall", "cpu"], default="wall")
    parser.add_argument("--hooks", action="store_true", help="(C# side only: the hook-overhead runs)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    config_fn, shapes_fn, _ = forward.MODELS[args.model]
    cfg = config_fn(args.mlp_hidden) if args.model == "llada" else config_fn()
    torch.manual_seed(0)
    w = forward.random_weights(shapes_fn(cfg))
    dtype = {"fp32": torch.float32, "bf16": torch.bfloat16}[args.dtype]
    w = forward.cast_weights(args.model, w, dtype)
    prompt = torch.randint(0, forward.VOCAB - 1, (args.batch, args.prompt))
    autocast = args.model == "mdlm" and dtype == torch.bfloat16

    def generation():
        with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast):
            if args.model == "llada":
                return llada_generate(w, cfg, prompt, args.steps, args.gen, args.block, args.temperature,
                                      torch.Generator().manual_seed(0))
            return mdlm_generate(w, cfg, prompt, args.prompt + args.gen, args.steps, torch.Generator().manual_seed(0))

    seconds = forward.median_seconds(generation, args.warmup, args.repeats, args.clock)
    head = (f"generate {args.model:<5} {forward.dtype_name(dtype):<8} B={args.batch} prompt={args.prompt} gen={args.gen} "
            f"steps={args.steps}" + (f" block={args.block}" + (f" T={args.temperature:g}" if args.temperature > 0 else "") if args.model == "llada" else " ddpm") + f" threads={args.threads}")
    print(f"{head}: {seconds * 1e3:9.1f} ms  {args.batch * args.gen / seconds:7.1f} new tok/s"
          + ("  (CPU time)" if args.clock == "cpu" else ""), flush=True)


if __name__ == "__main__":
    main()
